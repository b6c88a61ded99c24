from common import result
result(1.0)
result(2.0)
