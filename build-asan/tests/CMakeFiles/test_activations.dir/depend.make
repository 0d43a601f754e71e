# Empty dependencies file for test_activations.
# This may be replaced when dependencies are built.
