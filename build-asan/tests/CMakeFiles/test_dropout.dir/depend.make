# Empty dependencies file for test_dropout.
# This may be replaced when dependencies are built.
