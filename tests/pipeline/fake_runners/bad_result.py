import json
print(json.dumps({"protocol": 1, "event": "result", "metric": {"name": "x"}}))
