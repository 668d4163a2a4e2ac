"""Test graphs for model bundles (test/model-bundle.test.ts): small ONNX models, random weights, built
with Debian's python3-onnx. `make_onnx.py <out dir> <classes>` writes one <case>.onnx per case."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, classes = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(7)


def conv_graph(channels, extra_nodes=(), extra_inits=(), output=None, opset=17, domains=()):
    x = helper.make_tensor_value_info('image', TensorProto.FLOAT, [1, 3, 'h', 'w'])
    w = numpy_helper.from_array(rng.standard_normal((channels, 3, 1, 1)).astype(np.float32), 'w')
    nodes = [helper.make_node('Conv', ['image', 'w'], ['logits'])] + list(extra_nodes)
    y = output or helper.make_tensor_value_info('logits', TensorProto.FLOAT, [1, channels, 'h', 'w'])
    g = helper.make_graph(nodes, 'g', [x], [y], [w] + list(extra_inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)] + [helper.make_opsetid(d, 1) for d in domains])
    m.ir_version = 8
    return m


def save(name, m):
    with open(f'{out}/{name}.onnx', 'wb') as f:
        f.write(m.SerializeToString())


save('logits', conv_graph(classes + 1))
labels = conv_graph(classes + 1, [helper.make_node('ArgMax', ['logits'], ['labels'], axis=1, keepdims=0)],
                    output=helper.make_tensor_value_info('labels', TensorProto.INT64, [1, 'h', 'w']))
save('labels', labels)
save('wrong-channels', conv_graph(classes + 3))
save('opset-27', conv_graph(classes + 1, opset=27))
custom = conv_graph(classes + 1, [helper.make_node('Sharpen', ['logits'], ['out'], domain='com.example')],
                    output=helper.make_tensor_value_info('out', TensorProto.FLOAT, [1, classes + 1, 'h', 'w']), domains=['com.example'])
save('custom-domain', custom)
# weights kept outside the file, at a path that leaves the bundle
ext = conv_graph(classes + 1)
t = ext.graph.initializer[0]
t.ClearField('raw_data')
t.ClearField('float_data')
t.data_location = TensorProto.EXTERNAL
for k, v in (('location', '../../../../etc/passwd'), ('offset', '0'), ('length', '64')):
    e = t.external_data.add()
    e.key, e.value = k, v
save('external-escape', ext)
# weights beside the model in the bundle, as onnx.save(save_as_external_data=True) writes them
beside = conv_graph(classes + 1)
t = beside.graph.initializer[0]
data = numpy_helper.to_array(t).tobytes()
t.ClearField('raw_data')
t.ClearField('float_data')
t.data_location = TensorProto.EXTERNAL
for k, v in (('location', 'weights.bin'), ('offset', '0'), ('length', str(len(data)))):
    e = t.external_data.add()
    e.key, e.value = k, v
save('external-beside', beside)
with open(f'{out}/weights.bin', 'wb') as f:
    f.write(data)
# a Loop that never ends: 2^62 iterations, its state added (times 0) to the logits
body = helper.make_graph(
    [helper.make_node('Identity', ['cond_in'], ['cond_out']), helper.make_node('Add', ['s_in', 'one'], ['s_out'])],
    'body',
    [helper.make_tensor_value_info('i', TensorProto.INT64, []), helper.make_tensor_value_info('cond_in', TensorProto.BOOL, []),
     helper.make_tensor_value_info('s_in', TensorProto.FLOAT, [])],
    [helper.make_tensor_value_info('cond_out', TensorProto.BOOL, []), helper.make_tensor_value_info('s_out', TensorProto.FLOAT, [])],
    [numpy_helper.from_array(np.array(1, dtype=np.float32), 'one')])
loop = conv_graph(classes + 1, [
    helper.make_node('Loop', ['trip', 'cond', 's0'], ['s'], body=body),
    helper.make_node('Mul', ['s', 'zero'], ['s_zero']),
    helper.make_node('Add', ['logits', 's_zero'], ['out']),
], [numpy_helper.from_array(np.array(2 ** 62, dtype=np.int64), 'trip'), numpy_helper.from_array(np.array(True), 'cond'),
    numpy_helper.from_array(np.array(0, dtype=np.float32), 's0'), numpy_helper.from_array(np.array(0, dtype=np.float32), 'zero')],
    output=helper.make_tensor_value_info('out', TensorProto.FLOAT, [1, classes + 1, 'h', 'w']))
save('loop-forever', loop)
# channels the graph does not declare: only the trial finds them wrong
save('hidden-channels', conv_graph(classes + 3, output=helper.make_tensor_value_info('logits', TensorProto.FLOAT, [1, 'c', 'h', 'w'])))
# two image inputs
two = conv_graph(classes + 1)
two.graph.input.append(helper.make_tensor_value_info('depth', TensorProto.FLOAT, [1, 1, 'h', 'w']))
save('two-inputs', two)
# a graph that allocates 1 GiB whatever the image: Expand of a scalar to 1x256x1024x1024, summed into the logits
hog = conv_graph(classes + 1, [
    helper.make_node('Expand', ['one_f', 'big_shape'], ['big']),
    helper.make_node('ReduceSum', ['big'], ['total'], keepdims=0),
    helper.make_node('Mul', ['total', 'zero_f'], ['nothing']),
    helper.make_node('Add', ['logits', 'nothing'], ['out']),
], [numpy_helper.from_array(np.array(1, dtype=np.float32), 'one_f'), numpy_helper.from_array(np.array([1, 256, 1024, 1024], dtype=np.int64), 'big_shape'),
    numpy_helper.from_array(np.array(0, dtype=np.float32), 'zero_f')],
    output=helper.make_tensor_value_info('out', TensorProto.FLOAT, [1, classes + 1, 'h', 'w']))
save('memory-hog', hog)
# a graph that fails at run time whatever the image: a Reshape to a fixed wrong shape
bad = conv_graph(classes + 1, [helper.make_node('Reshape', ['logits', 'shape'], ['out'])],
                 [numpy_helper.from_array(np.array([1, 3], dtype=np.int64), 'shape')],
                 output=helper.make_tensor_value_info('out', TensorProto.FLOAT, [1, classes + 1, 'h', 'w']))
save('reshape-fails', bad)
# models that pass the trial (two images under 7,000 pixels) and misbehave on larger images only, as a
# network whose cost grows with the image does: a Loop of 2^62 iterations, or an Expand to 1 GiB, when
# the input has more than 10,000 pixels (1 iteration, 1 value otherwise)
size_nodes = [
    helper.make_node('Shape', ['image'], ['shape_all']),
    helper.make_node('Slice', ['shape_all', 'hw_start', 'hw_end'], ['hw']),
    helper.make_node('ReduceProd', ['hw'], ['pixels'], keepdims=0),
    helper.make_node('Greater', ['pixels', 'threshold'], ['large']),
]
size_inits = [numpy_helper.from_array(np.array([2], dtype=np.int64), 'hw_start'), numpy_helper.from_array(np.array([4], dtype=np.int64), 'hw_end'),
              numpy_helper.from_array(np.array(10_000, dtype=np.int64), 'threshold')]
save('loop-on-large', conv_graph(classes + 1, size_nodes + [
    helper.make_node('Where', ['large', 'trip_big', 'trip_one'], ['trip']),
    helper.make_node('Loop', ['trip', 'cond', 's0'], ['s'], body=body),
    helper.make_node('Mul', ['s', 'zero'], ['s_zero']),
    helper.make_node('Add', ['logits', 's_zero'], ['out']),
], size_inits + [numpy_helper.from_array(np.array(2 ** 62, dtype=np.int64), 'trip_big'), numpy_helper.from_array(np.array(1, dtype=np.int64), 'trip_one'),
                 numpy_helper.from_array(np.array(True), 'cond'), numpy_helper.from_array(np.array(0, dtype=np.float32), 's0'),
                 numpy_helper.from_array(np.array(0, dtype=np.float32), 'zero')],
    output=helper.make_tensor_value_info('out', TensorProto.FLOAT, [1, classes + 1, 'h', 'w'])))
save('hog-on-large', conv_graph(classes + 1, size_nodes + [
    helper.make_node('Where', ['large', 'big_shape', 'small_shape'], ['shape']),
    helper.make_node('Expand', ['one_f', 'shape'], ['big']),
    helper.make_node('ReduceSum', ['big'], ['total'], keepdims=0),
    helper.make_node('Mul', ['total', 'zero_f'], ['nothing']),
    helper.make_node('Add', ['logits', 'nothing'], ['out']),
], size_inits + [numpy_helper.from_array(np.array(1, dtype=np.float32), 'one_f'), numpy_helper.from_array(np.array([1, 256, 1024, 1024], dtype=np.int64), 'big_shape'),
                 numpy_helper.from_array(np.array([1, 1, 1, 1], dtype=np.int64), 'small_shape'), numpy_helper.from_array(np.array(0, dtype=np.float32), 'zero_f')],
    output=helper.make_tensor_value_info('out', TensorProto.FLOAT, [1, classes + 1, 'h', 'w'])))
