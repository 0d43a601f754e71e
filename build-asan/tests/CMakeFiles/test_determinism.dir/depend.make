# Empty dependencies file for test_determinism.
# This may be replaced when dependencies are built.
