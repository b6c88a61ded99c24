/** An error caused by the user's input (content, options, a file given): shown without a stack. */
export class UserError extends Error {
  override name = 'UserError';
}
