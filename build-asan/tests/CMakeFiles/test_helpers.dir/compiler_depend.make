# Empty compiler generated dependencies file for test_helpers.
# This may be replaced when dependencies are built.
