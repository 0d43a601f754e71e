# Empty dependencies file for test_files.
# This may be replaced when dependencies are built.
