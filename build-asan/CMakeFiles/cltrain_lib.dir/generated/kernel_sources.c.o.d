CMakeFiles/cltrain_lib.dir/generated/kernel_sources.c.o: \
 /work/main/build-asan/generated/kernel_sources.c \
 /usr/include/stdc-predef.h \
 /usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h
