# Empty dependencies file for cltrain.
# This may be replaced when dependencies are built.
