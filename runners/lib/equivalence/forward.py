"""How to run a runner's network on a NumPy probe, per family of runners (the folder a runner lives
in): load the canonical weights where the runner loads them later (before training), switch
dropout and BatchNorm to inference, convert the layout, and bring the output back as NumPy."""

from __future__ import annotations

import numpy as np


def pytorch(namespace: dict, x: np.ndarray) -> np.ndarray:
    import torch
    net = namespace["net"]
    if "canonical" in namespace:  # the training runners load it in reset()
        net.load_state_dict(namespace["canonical"])
    net.eval()
    inputs = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x)  # NHWC -> NCHW
    with torch.no_grad():
        return net(inputs).numpy()


def jax(namespace: dict, x: np.ndarray) -> np.ndarray:
    from flax import nnx
    if "canonical" in namespace:  # the training runners load it in reset()
        nnx.update(namespace["net"], namespace["canonical"])
    net = namespace.get("eval_net", namespace["net"])  # the CNN's view with dropout off
    return np.asarray(nnx.jit(lambda net, x: net(x))(net, x))  # one compilation, not one per operation


def keras_model(name: str):
    def forward(namespace: dict, x: np.ndarray) -> np.ndarray:
        import keras
        return keras.ops.convert_to_numpy(namespace[name].predict_on_batch(x))  # inference mode
    return forward


def onnxruntime(namespace: dict, x: np.ndarray) -> np.ndarray:
    return namespace["session"].run(None, {"images": np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0]  # NHWC -> NCHW


def mlx(namespace: dict, x: np.ndarray) -> np.ndarray:
    import mlx.core as mx
    namespace["net"].eval()  # BatchNorm on its running statistics
    return np.array(namespace["net"](mx.array(x)))  # NHWC is MLX's layout


def gluon(namespace: dict, x: np.ndarray) -> np.ndarray:
    from mxnet import nd
    for parameter, w in namespace.get("canonical", {}).items():  # the training runners load it in reset()
        parameter.set_data(w)
    inputs = nd.array(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x)  # NHWC -> NCHW
    return namespace["net"](inputs).asnumpy()  # outside autograd.record: dropout off, BatchNorm on its running statistics


def mxnet(namespace: dict, x: np.ndarray) -> np.ndarray:
    import mxnet as mx
    from mxnet import nd
    inputs = nd.array(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x)  # NHWC -> NCHW
    executor = namespace["net"].bind(mx.cpu(), args={"data": inputs, **namespace["arg_params"]}, aux_states=namespace.get("aux_params", {}), grad_req="null")
    return executor.forward(is_train=False)[0].asnumpy()  # the logits symbol; dropout off, BatchNorm on its running statistics


def chainer(namespace: dict, x: np.ndarray) -> np.ndarray:
    import chainer as chainer_
    for name, parameter in namespace["net"].namedparams():
        if name in namespace.get("canonical", {}):  # the training runners load it in reset()
            parameter.array[...] = namespace["canonical"][name]
    inputs = np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x.astype(np.int32)  # NHWC -> NCHW; EmbedID takes int32
    with chainer_.using_config("train", False), chainer_.no_backprop_mode():  # dropout off, BatchNorm on its running statistics
        return chainer_.backends.cuda.to_cpu(namespace["net"](namespace["device"].send(inputs)).array)


def paddle(namespace: dict, x: np.ndarray) -> np.ndarray:
    import paddle as paddle_
    net = namespace["net"]
    for name, parameter in net.named_parameters():
        if name in namespace.get("canonical", {}):  # the training runners load it in reset()
            parameter.set_value(namespace["canonical"][name])
    net.eval()  # dropout off, BatchNorm on its running statistics
    inputs = paddle_.to_tensor(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x)  # NHWC -> NCHW
    with paddle_.no_grad():
        return net(inputs).numpy()


def theano(namespace: dict, x: np.ndarray) -> np.ndarray:
    """A Theano runner's network is a symbolic expression over its shared variables (`p`, by canonical
    name): compiled here from its input variable to its output, dropout off, in the runner's mode."""
    import theano as theano_
    for name, w in namespace.get("canonical", {}).items():  # the training runners load it in reset()
        namespace["p"][name].set_value(w)
    inputs = namespace["images"] if x.ndim == 4 else namespace["tokens"]
    output = namespace["features"] if "features" in namespace else namespace["logits"]
    x = np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x  # NHWC -> NCHW
    return theano_.function([inputs], output, mode=namespace["mode"])(x.astype(inputs.dtype))


def tinygrad(namespace: dict, x: np.ndarray) -> np.ndarray:
    from tinygrad import Tensor
    for name, t in namespace["state"].items():
        if name in namespace.get("canonical", {}):  # the training runners load it in reset()
            t.assign(namespace["canonical"][name])
    inputs = np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x.astype(np.int32)  # NHWC -> NCHW
    return namespace["net"](Tensor(inputs, device=namespace["device"])).numpy()  # outside Context(TRAINING=1): dropout off, BatchNorm on its running statistics


def tfjs(namespace: dict, x: np.ndarray) -> np.ndarray:
    return namespace["tfjs"].forward(x)  # host.py's runner in Node: canonical weights, dropout off, NHWC as TF.js


FORWARD = {"pytorch": pytorch, "jax": jax, "keras": keras_model("model"), "tensorflow": keras_model("net"), "onnxruntime": onnxruntime, "gluon": gluon,
           "mxnet": mxnet, "chainer": chainer, "theano": theano, "paddle": paddle, "mlx": mlx, "tinygrad": tinygrad, "tfjs": tfjs, "r-keras": keras_model("model")}
