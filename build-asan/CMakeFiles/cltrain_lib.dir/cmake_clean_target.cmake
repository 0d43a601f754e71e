file(REMOVE_RECURSE
  "libcltrain.a"
)
