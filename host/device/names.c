/* Names and messages of the device layer: status, OpenCL and CLBlast error names, the product
 * backends' and the kernels' names; ct_fail and ct_cl_fail, which leave a message in the device. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- names ------------------------------------------------------------------------------- */

const char *ct_status_name(ct_status s) {
    switch (s) {
    case CT_OK: return "CT_OK";
    case CT_ERR_ARG: return "CT_ERR_ARG";
    case CT_ERR_ALLOC: return "CT_ERR_ALLOC";
    case CT_ERR_NO_PLATFORM: return "CT_ERR_NO_PLATFORM";
    case CT_ERR_NO_DEVICE: return "CT_ERR_NO_DEVICE";
    case CT_ERR_OPENCL: return "CT_ERR_OPENCL";
    case CT_ERR_BUILD: return "CT_ERR_BUILD";
    case CT_ERR_CLBLAST: return "CT_ERR_CLBLAST";
    case CT_ERR_IO: return "CT_ERR_IO";
    case CT_ERR_FORMAT: return "CT_ERR_FORMAT";
    case CT_ERR_NUMERIC: return "CT_ERR_NUMERIC";
    }
    return "CT_ERR_UNKNOWN";
}

const char *ct_cl_error_name(cl_int code) {
    switch (code) {
#define N(x)                                                                                       \
    case x: return #x;
        N(CL_SUCCESS)
        N(CL_DEVICE_NOT_FOUND)
        N(CL_DEVICE_NOT_AVAILABLE)
        N(CL_COMPILER_NOT_AVAILABLE)
        N(CL_MEM_OBJECT_ALLOCATION_FAILURE)
        N(CL_OUT_OF_RESOURCES)
        N(CL_OUT_OF_HOST_MEMORY)
        N(CL_PROFILING_INFO_NOT_AVAILABLE)
        N(CL_MEM_COPY_OVERLAP)
        N(CL_IMAGE_FORMAT_MISMATCH)
        N(CL_IMAGE_FORMAT_NOT_SUPPORTED)
        N(CL_BUILD_PROGRAM_FAILURE)
        N(CL_MAP_FAILURE)
        N(CL_MISALIGNED_SUB_BUFFER_OFFSET)
        N(CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
        N(CL_COMPILE_PROGRAM_FAILURE)
        N(CL_LINKER_NOT_AVAILABLE)
        N(CL_LINK_PROGRAM_FAILURE)
        N(CL_DEVICE_PARTITION_FAILED)
        N(CL_KERNEL_ARG_INFO_NOT_AVAILABLE)
        N(CL_INVALID_VALUE)
        N(CL_INVALID_DEVICE_TYPE)
        N(CL_INVALID_PLATFORM)
        N(CL_INVALID_DEVICE)
        N(CL_INVALID_CONTEXT)
        N(CL_INVALID_QUEUE_PROPERTIES)
        N(CL_INVALID_COMMAND_QUEUE)
        N(CL_INVALID_HOST_PTR)
        N(CL_INVALID_MEM_OBJECT)
        N(CL_INVALID_IMAGE_FORMAT_DESCRIPTOR)
        N(CL_INVALID_IMAGE_SIZE)
        N(CL_INVALID_SAMPLER)
        N(CL_INVALID_BINARY)
        N(CL_INVALID_BUILD_OPTIONS)
        N(CL_INVALID_PROGRAM)
        N(CL_INVALID_PROGRAM_EXECUTABLE)
        N(CL_INVALID_KERNEL_NAME)
        N(CL_INVALID_KERNEL_DEFINITION)
        N(CL_INVALID_KERNEL)
        N(CL_INVALID_ARG_INDEX)
        N(CL_INVALID_ARG_VALUE)
        N(CL_INVALID_ARG_SIZE)
        N(CL_INVALID_KERNEL_ARGS)
        N(CL_INVALID_WORK_DIMENSION)
        N(CL_INVALID_WORK_GROUP_SIZE)
        N(CL_INVALID_WORK_ITEM_SIZE)
        N(CL_INVALID_GLOBAL_OFFSET)
        N(CL_INVALID_EVENT_WAIT_LIST)
        N(CL_INVALID_EVENT)
        N(CL_INVALID_OPERATION)
        N(CL_INVALID_GL_OBJECT)
        N(CL_INVALID_BUFFER_SIZE)
        N(CL_INVALID_MIP_LEVEL)
        N(CL_INVALID_GLOBAL_WORK_SIZE)
        N(CL_INVALID_PROPERTY)
        N(CL_INVALID_IMAGE_DESCRIPTOR)
        N(CL_INVALID_COMPILER_OPTIONS)
        N(CL_INVALID_LINKER_OPTIONS)
        N(CL_INVALID_DEVICE_PARTITION_COUNT)
#undef N
    case -1001: return "CL_PLATFORM_NOT_FOUND_KHR";
    }
    return "unknown OpenCL error";
}

const char *ct_clblast_error_name(int code) {
    switch (code) {
    case -1024: return "CLBlastNotImplemented";
    case -1022: return "CLBlastInvalidMatrixA";
    case -1021: return "CLBlastInvalidMatrixB";
    case -1020: return "CLBlastInvalidMatrixC";
    case -1019: return "CLBlastInvalidVectorX";
    case -1018: return "CLBlastInvalidVectorY";
    case -1017: return "CLBlastInvalidDimension";
    case -1016: return "CLBlastInvalidLeadDimA";
    case -1015: return "CLBlastInvalidLeadDimB";
    case -1014: return "CLBlastInvalidLeadDimC";
    case -1013: return "CLBlastInvalidIncrementX";
    case -1012: return "CLBlastInvalidIncrementY";
    case -1011: return "CLBlastInsufficientMemoryA";
    case -1010: return "CLBlastInsufficientMemoryB";
    case -1009: return "CLBlastInsufficientMemoryC";
    case -1008: return "CLBlastInsufficientMemoryX";
    case -1007: return "CLBlastInsufficientMemoryY";
    case -2050: return "CLBlastInsufficientMemoryTemp";
    case -2049: return "CLBlastInvalidBatchCount";
    case -2048: return "CLBlastInvalidOverrideKernel";
    case -2047: return "CLBlastMissingOverrideParameter";
    case -2046: return "CLBlastInvalidLocalMemUsage";
    case -2045: return "CLBlastNoHalfPrecision";
    case -2044: return "CLBlastNoDoublePrecision";
    case -2043: return "CLBlastInvalidVectorScalar";
    case -2042: return "CLBlastInsufficientMemoryScalar";
    case -2041: return "CLBlastDatabaseError";
    case -2040: return "CLBlastUnknownError";
    case -2039: return "CLBlastUnexpectedError";
    }
    return ct_cl_error_name((cl_int)code); /* the codes it shares with OpenCL */
}

const char *ct_gemm_backend_name(ct_gemm_backend b) {
    switch (b) {
    case CT_GEMM_AUTO: return "auto";
    case CT_GEMM_CLBLAST: return "clblast";
    case CT_GEMM_OWN: return "own";
    case CT_GEMM_CPU: return "cpu";
    }
    return "unknown";
}

/* ---- messages ---------------------------------------------------------------------------- */

static void vformat(char *dst, size_t n, const char *fmt, va_list ap) {
    int k = vsnprintf(dst, n, fmt, ap);
    if (k < 0) snprintf(dst, n, "(message could not be formatted)");
}

ct_status ct_fail(ct_device *dev, ct_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    if (dev) vformat(dev->err, sizeof dev->err, fmt, ap);
    va_end(ap);
    return s;
}

ct_status ct_cl_fail(ct_device *dev, cl_int code, const char *call, const char *where) {
    return ct_fail(dev, CT_ERR_OPENCL, "%s: %s failed: %s (%d)", where, call,
                   ct_cl_error_name(code), (int)code);
}

const char *ct_device_error(const ct_device *dev) { return dev ? dev->err : ""; }
const ct_device_info *ct_device_get_info(const ct_device *dev) { return &dev->info; }

const char *ct_kernel_name(int id) {
    static const char *const names[] = {
#define CT_KERNEL(name) #name,
#include "kernels.def"
#undef CT_KERNEL
    };
    return (id >= 0 && id < CT_K_COUNT) ? names[id] : "?";
}

int ct_kernel_count(void) { return CT_K_COUNT; }
