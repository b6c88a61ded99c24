import sys
print("ModuleNotFoundError: No module named 'tensorflow'", file=sys.stderr)
sys.exit(3)
