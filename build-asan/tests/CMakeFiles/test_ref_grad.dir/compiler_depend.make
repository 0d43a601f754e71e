# Empty compiler generated dependencies file for test_ref_grad.
# This may be replaced when dependencies are built.
