from common import result
print("hello from a framework that prints to stdout")
result()
