# Empty compiler generated dependencies file for cltrain_lib.
# This may be replaced when dependencies are built.
