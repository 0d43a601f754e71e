/* cltrain: train multilayer perceptrons on any OpenCL device.
 *
 * The one public header of libcltrain. A program picks a device, builds or loads a model,
 * loads or generates data, trains with options and a per-epoch callback, evaluates, predicts,
 * and saves:
 *
 *     ct_device *dev;  ct_model *m;  ct_dataset *d;  char msg[CT_MSG_LEN];
 *     ct_device_create(&dev, NULL, msg);                      // the first GPU, else the CPU
 *     ct_data_load(&d, "moons:n=1000", NULL, msg);            // a generator or a file
 *     ct_arch a = ct_arch_mlp(2, (int[]){16, 16}, CT_ACT_RELU);
 *     ct_arch_fit_data(&a, d, msg);                           // inputs, outputs, loss
 *     ct_model_create(&m, dev, &a, NULL, 42, msg);
 *     ct_train_options o;  ct_train_defaults(&o);
 *     ct_model_train(m, d, NULL, &o, NULL);
 *     ct_model_save(m, "moons.safetensors");
 *
 * Conventions:
 * - Every function that can fail returns a ct_status (CT_OK = 0). A function on an object
 *   leaves the one-line message of its last failure in the object: ct_model_error(model),
 *   ct_device_error(device). Functions that create an object write the message into the
 *   caller's buffer `msg` (CT_MSG_LEN bytes) instead, since there is no object yet.
 * - No global state: objects are independent, so two models on two devices in one process (in
 *   one thread or in two) work. One object is not to be used from two threads at once.
 * - The library never prints and never exits. Every _destroy accepts NULL.
 * - Determinism: the same seed, device and options give bit-identical weights.
 *
 * Everything under host/ besides this file is internal. */
#ifndef CLTRAIN_H
#define CLTRAIN_H

#include <signal.h> /* sig_atomic_t */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CT_VERSION_MAJOR 0
#define CT_VERSION_MINOR 1
#define CT_VERSION_PATCH 0
#define CT_VERSION_STRING "0.1.0"

/* Marks the functions the shared library exports; everything else in it is hidden. */
#if defined(_WIN32)
#define CT_API
#elif defined(__GNUC__)
#define CT_API __attribute__((visibility("default")))
#else
#define CT_API
#endif

/* The version of the library linked at run time ("0.1.0"); compare with CT_VERSION_STRING. */
CT_API const char *ct_version(void);

/* ---- status ----------------------------------------------------------------------------- */

typedef enum ct_status {
    CT_OK = 0,
    CT_ERR_ARG,         /* a bad argument: shape, size, option value */
    CT_ERR_ALLOC,       /* host or device memory exhausted */
    CT_ERR_NO_PLATFORM, /* no OpenCL platform installed */
    CT_ERR_NO_DEVICE,   /* no device matches the request */
    CT_ERR_OPENCL,      /* an OpenCL call failed */
    CT_ERR_BUILD,       /* a kernel program failed to build (message holds the build log) */
    CT_ERR_CLBLAST,     /* a CLBlast routine failed */
    CT_ERR_IO,          /* a file could not be read or written */
    CT_ERR_FORMAT,      /* a file or value is malformed */
    CT_ERR_NUMERIC      /* NaN / Inf where a finite number is required */
} ct_status;

/* A short fixed name for a status ("CT_ERR_OPENCL"). */
CT_API const char *ct_status_name(ct_status s);

/* Size of a message buffer that is always large enough for a one-line error. */
#define CT_MSG_LEN 4096

/* ---- devices ---------------------------------------------------------------------------- */

typedef struct ct_device ct_device;

/* What `cltrain devices` prints about one device. */
typedef struct ct_device_info {
    int index;          /* global index over all platforms, in enumeration order */
    char platform[128]; /* platform name */
    char name[128];     /* device name */
    char vendor[128];
    char type[16]; /* "gpu", "cpu", "accelerator", "other" */
    unsigned compute_units;
    unsigned long long global_mem; /* bytes */
    unsigned long long local_mem;  /* bytes */
    unsigned long long max_alloc;  /* bytes: the largest single buffer */
    size_t max_work_group;
    char opencl_c_version[64];
    int fp64;               /* 1 when cl_khr_fp64 (or OpenCL C fp64) is supported */
    int clblast;            /* 1 works, 0 fails or not built in, -1 not probed */
    char clblast_note[160]; /* why not, when clblast == 0 */
    char profile[8]; /* the code paths cltrain takes on it: "cpu" (CPU devices) or "gpu" (all
                      * others); CLTRAIN_PROFILE=cpu|gpu sets it for every device */
} ct_device_info;

/* Lists every device of every platform. *out is malloc'ed (free with free()); *count may be 0
 * only when a platform exists without devices. No platform at all: CT_ERR_NO_PLATFORM.
 * probe_clblast: also run a small CLBlast product on each device and fill info.clblast. */
CT_API ct_status ct_device_list(ct_device_info **out, int *count, int probe_clblast,
                                char msg[CT_MSG_LEN]);

/* The index the default choice takes among infos: the first GPU, else the first CPU, else 0;
 * -1 when n == 0. */
CT_API int ct_device_default(const ct_device_info *infos, int n);

/* Opens a device: its own context, in-order queue, and every kernel built once (built programs
 * are cached on disk per device, driver and source). Opening the same device twice gives two
 * independent objects. selector: NULL or "" -> $CLTRAIN_DEVICE if set, else the first GPU,
 * else the first CPU; otherwise an index ("0"), "gpu", "cpu", "accelerator", or a
 * case-insensitive substring of the device name. On failure *out is NULL and msg holds one
 * line. */
CT_API ct_status ct_device_create(ct_device **out, const char *selector, char msg[CT_MSG_LEN]);
CT_API void ct_device_destroy(ct_device *dev); /* after every model on it is destroyed */

CT_API const ct_device_info *ct_device_get_info(const ct_device *dev);
/* The message of the last failed call on this device ("" when none). */
CT_API const char *ct_device_error(const ct_device *dev);

/* Which matrix-product implementation the dense ops use. */
typedef enum ct_gemm_backend {
    CT_GEMM_AUTO = 0, /* the CPU-shaped kernel on CPU devices, else own; CLBlast only for the
                       * shape classes where `cltrain tune` measured it > 5% faster */
    CT_GEMM_CLBLAST,  /* CLBlast only (error when unavailable) */
    CT_GEMM_OWN,      /* the project's own tiled kernel (local memory; suits GPUs) */
    CT_GEMM_CPU       /* the project's own register-tiled kernel shaped for CPU OpenCL (PoCL) */
} ct_gemm_backend;

/* Forces or resets the GEMM choice. $CLTRAIN_GEMM (auto|clblast|own|cpu) sets the initial value. */
CT_API ct_status ct_device_set_gemm(ct_device *dev, ct_gemm_backend b);
/* The backend of a product of this shape: the forced one, else a tuned choice for its shape
 * class (from `cltrain bench --tune`, kept in the tuning file; never CLBlast under
 * ct_device_set_exact), else the device's default: the CPU-shaped kernel on CPU devices, the
 * tiled kernel otherwise (both give the common bits, DESIGN.md principle 6).
 * A pure function of the device, the tuning file and the shape, so runs are reproducible. */
CT_API ct_gemm_backend ct_device_gemm_for(ct_device *dev, int M, int N, int K, int transA,
                                          int transB);
/* The default (untuned) choice after resolving AUTO (may run the CLBlast probe once). */
CT_API ct_gemm_backend ct_device_gemm(ct_device *dev);
CT_API const char *ct_gemm_backend_name(ct_gemm_backend b);

/* 1 when CLBlast was compiled in and computes a correct product on this device, else 0 and
 * why in *why (may be NULL). Runs a small probe once per device and remembers the answer. */
CT_API int ct_device_clblast_works(ct_device *dev, const char **why);

/* The common bits (DESIGN.md principle 6: the same bits on every OpenCL implementation):
 * exact = 1 forces them, no product by CLBlast whatever $CLTRAIN_GEMM or the tuning file say
 * (an error when CLBlast is forced); $CLTRAIN_EXACT=1 sets it when the device is opened.
 * exact = 0 (the default) lets a tuned shape class take CLBlast where it measured faster. */
CT_API ct_status ct_device_set_exact(ct_device *dev, int exact);
/* What the common bits' probe saw on a device (ct_device_gives_common_bits). */
typedef struct ct_bits_facts {
    int probes;          /* random (a, b, c) triples run */
    int contracted;      /* of them, a * b + c computed fused (0: contraction off honoured) */
    int divide_sqrt;     /* a / b or sqrt(a) not correctly rounded */
    int cr_reported;     /* CL_FP_CORRECTLY_ROUNDED_DIVIDE_SQRT in CL_DEVICE_SINGLE_FP_CONFIG */
    int denorm_reported; /* CL_FP_DENORM in CL_DEVICE_SINGLE_FP_CONFIG */
    int mul_flushes;     /* a * b flushed a denormal result or operand to 0 */
    int fma_flushes;     /* fma flushed a denormal result, product or addend */
    int add_flushes;     /* a + c flushed a denormal operand */
} ct_bits_facts;
/* 1 when the device computes what the common bits need (DESIGN.md principle 6): no contraction
 * where the source says none, correctly rounded / and sqrt, on 4096 random triples; facts
 * (may be NULL) gets the counts and whether it flushes denormals, which the kernels' own
 * denormal rule makes harmless outside the products (README, "The same bits"). */
CT_API int ct_device_gives_common_bits(ct_device *dev, ct_bits_facts *facts);
/* 1 when no product of this device can run on CLBlast (forced, or chosen by the tuning file),
 * so a run gives the common bits; 0 when CLBlast's bits, the device's own, may enter. */
CT_API int ct_device_common_bits(ct_device *dev);

/* Blocks until every enqueued command finished. */
CT_API ct_status ct_device_finish(ct_device *dev);

/* ---- names ------------------------------------------------------------------------------ */

/* The activations, one list (an X-macro): X(ID, name, flags, alpha, ...) per activation, in
 * the order of their codes. Everything else comes from it: enum ct_act (CT_ACT_<ID>), the names
 * (ct_act_name, ct_act_parse, the files, help and error texts), the kernels' codes (built with
 * -DCT_ACT_<ID>=<code>), the selftest's cases. flags: CT_ACTF_RELU_LIKE (He initialisation; its
 * dead units are counted), CT_ACTF_ALPHA (takes alpha). alpha: the value a layer gets unless
 * told (kept in the files; the kernels read it only with CT_ACTF_ALPHA). The math is in
 * kernels/common.cl (ct_act_f, ct_act_df) and host/ref.c (ref_act, ref_act_grad).
 *   identity; relu; leaky_relu (alpha: negative slope); elu (alpha: saturation value); sigmoid;
 *   tanh; gelu (tanh approximation); silu (swish: z sigmoid(z)) */
#define CT_ACTF_RELU_LIKE 1
#define CT_ACTF_ALPHA 2
#define CT_ACT_LIST(X, ...)                                                                        \
    X(IDENTITY, identity, 0, 0.01f, __VA_ARGS__)                                                   \
    X(RELU, relu, CT_ACTF_RELU_LIKE, 0.01f, __VA_ARGS__)                                           \
    X(LEAKY_RELU, leaky_relu, CT_ACTF_RELU_LIKE | CT_ACTF_ALPHA, 0.01f, __VA_ARGS__)                \
    X(ELU, elu, CT_ACTF_RELU_LIKE | CT_ACTF_ALPHA, 1.0f, __VA_ARGS__)                              \
    X(SIGMOID, sigmoid, 0, 0.01f, __VA_ARGS__)                                                     \
    X(TANH, tanh, 0, 0.01f, __VA_ARGS__)                                                           \
    X(GELU, gelu, CT_ACTF_RELU_LIKE, 0.01f, __VA_ARGS__)                                           \
    X(SILU, silu, CT_ACTF_RELU_LIKE, 0.01f, __VA_ARGS__)

typedef enum ct_act {
#define CT_ACT_ENUM_(id, name, flags, alpha, ...) CT_ACT_##id,
    CT_ACT_LIST(CT_ACT_ENUM_, 0) CT_ACT_COUNT
#undef CT_ACT_ENUM_
} ct_act;

/* The losses, each fused with the output layer's activation, one list: X(ID, name, short,
 * output, kernel, flags, ...) per loss in the order of their codes: enum ct_loss (CT_LOSS_<ID>),
 * the names (ct_loss_name; ct_loss_parse takes both; the files write the short one), the output
 * activation it implies, its kernel in kernels/loss.cl. flags: CT_LOSSF_CLASSES (a classifier:
 * int class labels or 0/1 targets, accuracy counted by its kernel).
 *   softmax_ce: softmax + cross-entropy over int class labels, mean over rows;
 *   sigmoid_bce: sigmoid + binary cross-entropy on 0/1 targets;
 *   mse: identity + mean squared error; huber: identity + Huber loss with delta */
#define CT_LOSSF_CLASSES 1
#define CT_LOSS_LIST(X, ...)                                                                       \
    X(SOFTMAX_CE, softmax_ce, ce, softmax, softmax_ce, CT_LOSSF_CLASSES, __VA_ARGS__)              \
    X(SIGMOID_BCE, sigmoid_bce, bce, sigmoid, sigmoid_bce, CT_LOSSF_CLASSES, __VA_ARGS__)          \
    X(MSE, mse, mse, linear, mse_loss, 0, __VA_ARGS__)                                             \
    X(HUBER, huber, huber, linear, huber_loss, 0, __VA_ARGS__)

typedef enum ct_loss {
    CT_LOSS_AUTO = -1, /* only for ct_arch_fit_data: follow the data */
#define CT_LOSS_ENUM_(id, name, short_, out, kernel, flags, ...) CT_LOSS_##id,
    CT_LOSS_LIST(CT_LOSS_ENUM_, 0) CT_LOSS_COUNT
#undef CT_LOSS_ENUM_
} ct_loss;

/* The optimizers, one list: X(ID, name, flags, lr, weight_decay, beta2, ...) per optimizer, in
 * the order of their codes: enum ct_optim (CT_OPT_<ID>), the names, the defaults
 * (ct_optim_defaults: lr, weight_decay, beta2 from here), which state buffers a step keeps.
 * flags: CT_OPTF_M (keeps m: momentum, Adam's first moment, Lion's), CT_OPTF_V (keeps v),
 * CT_OPTF_DECOUPLED (weight decay p -= lr wd p, else added to the gradient).
 *   sgd; momentum and nesterov (PyTorch's SGD with momentum); rmsprop; adam; adamw; lion
 *   (Chen et al. 2023: p -= lr (sign(b1 m + (1 - b1) g) + wd p), m = b2 m + (1 - b2) g) */
#define CT_OPTF_M 1
#define CT_OPTF_V 2
#define CT_OPTF_DECOUPLED 4
#define CT_OPTIM_LIST(X, ...)                                                                      \
    X(SGD, sgd, 0, 0.01f, 0.0f, 0.999f, __VA_ARGS__)                                               \
    X(MOMENTUM, momentum, CT_OPTF_M, 0.01f, 0.0f, 0.999f, __VA_ARGS__)                             \
    X(NESTEROV, nesterov, CT_OPTF_M, 0.01f, 0.0f, 0.999f, __VA_ARGS__)                             \
    X(RMSPROP, rmsprop, CT_OPTF_V, 0.01f, 0.0f, 0.999f, __VA_ARGS__)                               \
    X(ADAM, adam, CT_OPTF_M | CT_OPTF_V, 0.001f, 0.0f, 0.999f, __VA_ARGS__)                        \
    X(ADAMW, adamw, CT_OPTF_M | CT_OPTF_V | CT_OPTF_DECOUPLED, 0.001f, 0.01f, 0.999f, __VA_ARGS__) \
    X(LION, lion, CT_OPTF_M | CT_OPTF_DECOUPLED, 0.0001f, 0.0f, 0.99f, __VA_ARGS__)

typedef enum ct_optim {
#define CT_OPTIM_ENUM_(id, name, flags, lr, wd, b2, ...) CT_OPT_##id,
    CT_OPTIM_LIST(CT_OPTIM_ENUM_, 0) CT_OPT_COUNT
#undef CT_OPTIM_ENUM_
} ct_optim;

CT_API const char *ct_act_name(ct_act a);                /* "relu" */
CT_API const char *ct_loss_name(ct_loss l);              /* "softmax_ce" */
CT_API const char *ct_optim_name(ct_optim o);            /* "adam" */
CT_API int ct_act_parse(const char *s, ct_act *out);     /* 1 on success */
CT_API int ct_act_flags(ct_act a);                       /* CT_ACTF_*, 0 for an unknown one */
CT_API float ct_act_default_alpha(ct_act a);             /* elu 1, the others 0.01 */
/* The activations' names as a list for a message, "relu, leaky_relu, ... or linear": from
 * `from` on, "identity" written as `identity` (NULL: left out), the last joined by "or". */
CT_API void ct_act_list_text(char *dst, size_t n, ct_act from, const char *identity);
CT_API int ct_loss_parse(const char *s, ct_loss *out);   /* accepts "ce", "bce", "mse", "huber" */
CT_API const char *ct_loss_short_name(ct_loss l);        /* "ce" */
CT_API const char *ct_loss_output_act(ct_loss l);        /* "softmax", "sigmoid", "linear" */
CT_API int ct_loss_flags(ct_loss l);                     /* CT_LOSSF_*, 0 for an unknown one */
/* The losses' short names for a message: "ce, bce, mse or huber". */
CT_API void ct_loss_list_text(char *dst, size_t n);
CT_API int ct_optim_parse(const char *s, ct_optim *out); /* 1 on success */
CT_API int ct_optim_flags(ct_optim o);                   /* CT_OPTF_*, 0 for an unknown one */
/* The optimizers' names for a message: "sgd, momentum, ... or lion". */
CT_API void ct_optim_list_text(char *dst, size_t n);

/* ---- data ------------------------------------------------------------------------------- */

typedef enum ct_task {
    CT_TASK_AUTO = -1, /* decide from the labels (only as a request) */
    CT_TASK_CLASSIFICATION = 0,
    CT_TASK_REGRESSION = 1
} ct_task;

/* A dataset in host memory: features X (rows, features) and class labels or regression
 * targets. */
typedef struct ct_dataset ct_dataset;

typedef struct ct_data_opts {
    const char *label;       /* CSV: label column by NAME or 0-based INDEX; NULL = last column */
    const char *labels_path; /* IDX / NPY: the labels file */
    ct_task task;            /* CT_TASK_AUTO: numeric labels with many distinct values (> 20
                              * and > 5% of rows) or non-integers make a regression */
    uint64_t seed;           /* generators: the seed when SOURCE has no seed= */
    /* When given (data for a trained model): map labels onto these classes; a label not among
     * them is an error naming it. */
    char *const *class_names;
    int n_classes;
    int require_labels; /* 0: a CSV may lack the label column (for predictions) */
    /* Tables (a CSV for training): a column whose non-missing cells are all numbers is
     * numeric, any other categorical (one-hot). Lists are comma-separated names or 0-based
     * column indices. */
    const char *categorical; /* columns taken as categorical */
    const char *numeric;     /* columns taken as numeric */
    const char *drop;        /* columns left out */
    int max_categories;      /* a categorical column with more is an error; 0: 100 */
    const char *na_values;   /* spellings of a missing cell, comma-separated (an empty cell
                              * always is); NULL: NA,N/A,NaN,nan,null,? */
    int impute_mean;         /* numeric missing cells: 0 the training median, 1 the mean */
    int missing_indicator;   /* a 0/1 input per numeric column that had missing cells */
    int drop_missing_labels; /* rows with a missing label are left out (else an error) */
} ct_data_opts;

/* SOURCE is a generator "name[:key=value,...]" or a file path (.csv, .idx/.idx*-ubyte[.gz],
 * .npy). Generators: xor, moons, circles, blobs, spirals, classification, sine (see
 * ct_data_generators_help). opts may be NULL (last CSV column as labels, task from the labels,
 * seed 42). Bad input gives one line naming the file, line and column. On failure *out is
 * NULL. */
CT_API ct_status ct_data_load(ct_dataset **out, const char *source, const ct_data_opts *opts,
                              char msg[CT_MSG_LEN]);
/* ct_data_load for validation or test data of a table: like's columns and their encoding
 * (categories, fills) apply; a column of like's missing is an error naming it. */
CT_API ct_status ct_data_load_like(ct_dataset **out, const char *source, const ct_data_opts *opts,
                                   const ct_dataset *like, char msg[CT_MSG_LEN]);
/* A table's columns as one line: "4 numeric (2 with missing cells, filled with medians), 4
 * categorical (31 categories) -> 39 inputs"; 0 (and "") when d is not an encoded table. */
CT_API int ct_data_describe_columns(const ct_dataset *d, char *buf, size_t cap);
/* What loading d noted (columns ignored, cells with categories not seen in training), or "". */
CT_API const char *ct_data_note(const ct_dataset *d);
/* A dataset from arrays (copied): X (n, features) row-major; for classification labels (n)
 * in [0, n_classes) and Y NULL; for regression Y (n, outputs) and labels NULL. Non-finite
 * values are refused. name: for messages (may be NULL). */
CT_API ct_status ct_data_from_arrays(ct_dataset **out, int n, int features, const float *X,
                                     const int32_t *labels, int n_classes, const float *Y,
                                     int outputs, const char *name, char msg[CT_MSG_LEN]);
/* A table from cells of text, read as a CSV file is read for training (the same code: column
 * kinds, categories, missing cells, the encoding fitted and kept in the dataset): n rows of
 * ncol cells, row-major, a NULL cell being an empty (missing) one, blanks at either end
 * trimmed; names (ncol, non-empty, distinct) as a header. With labels or Y (as
 * ct_data_from_arrays takes them) every column is a feature; else opts->label names the label
 * column among them, as for a CSV. opts may be NULL. Messages name `name` (may be NULL) and
 * the 0-based row, where a file's give the line: "X:12, column 3 ('age'): ...". */
CT_API ct_status ct_data_from_cells(ct_dataset **out, int n, int ncol, const char *const *cells,
                                    const char *const *names, const int32_t *labels,
                                    int n_classes, const float *Y, int outputs,
                                    const ct_data_opts *opts, const char *name,
                                    char msg[CT_MSG_LEN]);
/* Names the features of d (n must be its feature count; names non-empty and distinct), as a
 * CSV header would: a model trained on d keeps them, and data for it is matched by them. */
CT_API ct_status ct_data_set_feature_names(ct_dataset *d, const char *const *names, int n,
                                           char msg[CT_MSG_LEN]);
/* Splits d into training and validation rows by a seeded shuffle: the validation part gets
 * round(frac * n) rows (at least 1 when frac > 0). d is left as it was. */
CT_API ct_status ct_data_split(const ct_dataset *d, double frac, uint64_t seed, ct_dataset **train,
                               ct_dataset **val, char msg[CT_MSG_LEN]);
CT_API void ct_data_destroy(ct_dataset *d);

CT_API int ct_data_rows(const ct_dataset *d);
CT_API int ct_data_features(const ct_dataset *d);
CT_API ct_task ct_data_task(const ct_dataset *d);
CT_API int ct_data_classes(const ct_dataset *d); /* 0 for regression */
CT_API int ct_data_outputs(const ct_dataset *d); /* regression targets; 0 otherwise */
CT_API const char *ct_data_class_name(const ct_dataset *d, int k); /* as in the source */
CT_API const char *ct_data_source(const ct_dataset *d);            /* what it was loaded from */
CT_API const float *ct_data_x(const ct_dataset *d);                /* (rows, features) */
CT_API const int32_t *ct_data_labels(const ct_dataset *d);         /* (rows), classification */
CT_API const float *ct_data_targets(const ct_dataset *d);          /* (rows, outputs), regression */
/* One paragraph per generator with its options and defaults. */
CT_API const char *ct_data_generators_help(void);

/* ---- architecture ----------------------------------------------------------------------- */

#define CT_MAX_LAYERS 16

typedef enum ct_norm { CT_NORM_NONE = 0, CT_NORM_BATCH, CT_NORM_LAYER, CT_NORM_COUNT } ct_norm;
CT_API const char *ct_norm_name(ct_norm n);          /* "none", "batch", "layer" */
CT_API int ct_norm_parse(const char *s, ct_norm *out); /* 1 on success */
#define CT_NORM_EPS 1e-5f
#define CT_NORM_MOMENTUM 0.1f

typedef struct ct_arch {
    int n_layers;                 /* dense layers, the output layer included (>= 1) */
    int sizes[CT_MAX_LAYERS + 1]; /* sizes[0]: inputs ... sizes[n_layers]: outputs */
    ct_act act[CT_MAX_LAYERS];    /* activation after hidden layer l (the output layer's
                                   * activation is fused into the loss) */
    float alpha[CT_MAX_LAYERS];   /* leaky_relu slope / elu alpha of layer l */
    float dropout[CT_MAX_LAYERS]; /* dropout probability after hidden layer l */
    ct_loss loss;
    float huber_delta;
    /* normalization of hidden layer l's output (after its bias, before its activation), with
     * learnable gamma (weight) and beta (bias) per unit, as PyTorch's BatchNorm1d / LayerNorm:
     * batch norm normalizes each unit over the batch while training and by its running mean
     * and variance in evaluation; layer norm normalizes each row over the layer's units. */
    ct_norm norm[CT_MAX_LAYERS];
    float norm_eps[CT_MAX_LAYERS];      /* added to the variance (> 0; PyTorch: 1e-5) */
    float norm_momentum[CT_MAX_LAYERS]; /* batch norm: running = (1 - m) running + m batch, with
                                         * the unbiased batch variance (0..1; PyTorch: 0.1) */
} ct_arch;

/* A network with n_hidden hidden layers of the given sizes, all with activation act (alpha
 * 0.01 for leaky_relu, 1 for elu), no dropout, no normalization (eps and momentum at
 * CT_NORM_EPS and CT_NORM_MOMENTUM), inputs and outputs 0 and loss CT_LOSS_AUTO:
 * set them, or let ct_arch_fit_data do it. */
CT_API ct_arch ct_arch_mlp(int n_hidden, const int *hidden, ct_act act);
/* Fits the ends of a to the data: inputs = features; the loss when CT_LOSS_AUTO (several
 * classes: softmax + cross-entropy; two: one sigmoid unit + BCE; regression: MSE) and the
 * outputs to match. An explicit loss that does not suit the data is an error. Validates. */
CT_API ct_status ct_arch_fit_data(ct_arch *a, const ct_dataset *d, char msg[CT_MSG_LEN]);
/* Checks sizes, activations, dropout values and the loss; one-line message. */
CT_API ct_status ct_arch_validate(const ct_arch *a, char msg[CT_MSG_LEN]);
/* "2-64-32-1 relu,relu sigmoid+bce" style one-line summary into dst; each hidden layer's parts
 * in the order they run ("batchnorm+relu+dropout(0.2)"). */
CT_API void ct_arch_describe(const ct_arch *a, char *dst, size_t n);
/* Parameters: every layer's weight (out, in), then every bias (out), then each normalized
 * layer's gamma and beta (out each), then each batch-normalized layer's running mean and
 * running variance (out each), in one flat array. Without normalization: weights and biases. */
CT_API size_t ct_arch_params(const ct_arch *a);
/* Where each tensor sits in that array. The optimizer updates [0, n_train); the running
 * statistics after it are updated by the training passes themselves. */
typedef struct ct_layout {
    size_t w_off[CT_MAX_LAYERS];
    size_t b_off[CT_MAX_LAYERS];
    size_t n_weights; /* weights occupy [0, n_weights) */
    size_t n_params;  /* everything */
    size_t n_dense;   /* weights and biases occupy [0, n_dense) */
    size_t n_train;   /* learnable: [0, n_train) */
    /* layer l's normalization (0 when none): gamma, beta; running mean, variance (batch) */
    size_t g_off[CT_MAX_LAYERS], be_off[CT_MAX_LAYERS];
    size_t rm_off[CT_MAX_LAYERS], rv_off[CT_MAX_LAYERS];
} ct_layout;
CT_API void ct_arch_layout(const ct_arch *a, ct_layout *l);
/* Hidden layer l's norm tensors, k = 0..3: gamma, beta, running mean, running variance, named
 * ct_norm_tensor_name(k) ("weight", "bias", "running_mean", "running_var": PyTorch's
 * BatchNorm1d / LayerNorm). Returns the offset in the flat parameters, 0 when there is none. */
CT_API size_t ct_norm_tensor(const ct_arch *a, const ct_layout *lay, int l, int k);
CT_API const char *ct_norm_tensor_name(int k);
/* Layer l's tensors, k = 0, 1, ...: the dense layer's weight (out, in) and bias (out), then its
 * norm's gamma, beta (and running mean, running variance for batch norm). Returns 1 and fills
 * *out, or 0 past the last. The files name them so (safetensors) or by field (JSON models). */
typedef struct ct_tensor_info {
    char name[48];     /* "layers.1.weight", "layers.1.norm.running_var" */
    const char *field; /* a JSON model layer's field: "weight", "bias", "norm_weight", ... */
    int ndim;          /* 1 or 2 */
    int64_t shape[2];
    size_t off, count; /* in the flat parameters */
    int learnable;     /* 0: running statistics, which the optimizer does not move */
} ct_tensor_info;
CT_API int ct_layer_tensor(const ct_arch *a, const ct_layout *lay, int l, int k,
                           ct_tensor_info *out);
/* Floating-point operations of one training step on B rows (forward and both backward
 * products). */
CT_API double ct_arch_train_flops(const ct_arch *a, int B);

typedef enum ct_init_kind {
    CT_INIT_AUTO = 0,       /* he_normal before relu-like activations, xavier_uniform otherwise */
    CT_INIT_HE_NORMAL,      /* N(0, 2 / fan_in) */
    CT_INIT_HE_UNIFORM,     /* U(-a, a), a = sqrt(6 / fan_in) */
    CT_INIT_XAVIER_NORMAL,  /* N(0, 2 / (fan_in + fan_out)) */
    CT_INIT_XAVIER_UNIFORM, /* U(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
    CT_INIT_LECUN_NORMAL,   /* N(0, 1 / fan_in) */
    CT_INIT_LECUN_UNIFORM,  /* U(-a, a), a = sqrt(3 / fan_in) */
    CT_INIT_NORMAL,         /* N(0, param^2) */
    CT_INIT_UNIFORM,        /* U(-param, param) */
    CT_INIT_ZEROS,
    CT_INIT_ONES,
    CT_INIT_COUNT
} ct_init_kind;

typedef struct ct_init {
    ct_init_kind kind;
    float param;      /* normal: std; uniform: a */
    float bias_value; /* every bias starts at this (0) */
} ct_init;

/* Parses "he", "he_normal", "he_uniform", "xavier", "glorot", "lecun", "normal:0.01",
 * "uniform:0.05", "zeros", "ones", "auto"; 1 on success (bias_value 0). */
CT_API int ct_init_parse(const char *s, ct_init *out);
/* "he_normal", "normal:0.01" ... into dst */
CT_API void ct_init_format(const ct_init *i, char *dst, size_t n);
/* Fills params (ct_arch_params floats) from the seed: weights by init (per layer, fan-in and
 * fan-out of that layer), biases with bias_value (init->bias_value is not read here). */
CT_API void ct_arch_init_params(const ct_arch *a, const ct_init *init, float bias_value,
                                uint64_t seed, float *params);

/* ---- optimizers and schedules ----------------------------------------------------------- */

typedef struct ct_optim_params {
    ct_optim kind;
    float lr;
    float momentum;     /* momentum, nesterov: mu */
    float dampening;    /* momentum: PyTorch's dampening (nesterov requires 0) */
    float beta1, beta2; /* adam, adamw; lion: the interpolation and the momentum decay */
    float rho;          /* rmsprop: smoothing of the squared gradient (PyTorch's alpha) */
    float eps;          /* rmsprop, adam, adamw */
    float weight_decay; /* coupled L2 (g += wd * p), decoupled for adamw and lion (p -= lr wd p) */
    float clip_norm;    /* > 0: g *= min(1, clip_norm / (||g|| + 1e-6)), ||g|| the global norm */
} ct_optim_params;

/* Defaults as PyTorch: lr 0.01 (sgd family, rmsprop) / 0.001 (adam, adamw), momentum 0.9,
 * dampening 0, betas 0.9/0.999, rho 0.99, eps 1e-8, weight_decay 0 (adamw: 0.01), clip off;
 * lion lr 1e-4, betas 0.9/0.99 (its paper's). From CT_OPTIM_LIST. */
CT_API ct_optim_params ct_optim_defaults(ct_optim kind);

typedef enum ct_sched_kind {
    CT_SCHED_CONSTANT = 0,
    CT_SCHED_STEP,   /* lr * gamma^(epoch / step_size) */
    CT_SCHED_COSINE, /* min_lr + (lr - min_lr) (1 + cos(pi e / epochs)) / 2, per step */
    CT_SCHED_PLATEAU /* lr * factor after `plateau_patience` epochs without validation gain */
} ct_sched_kind;

typedef struct ct_schedule {
    ct_sched_kind kind;
    int step_size;        /* step: epochs between decays (default 10) */
    float gamma;          /* step: factor (default 0.1) */
    float min_lr;         /* cosine: final value (default 0); plateau: lower bound */
    float factor;         /* plateau: factor (default 0.1) */
    int plateau_patience; /* plateau: epochs (default 5) */
    int warmup_epochs;    /* linear warm-up from lr / (steps) to lr over these epochs (0: none) */
} ct_schedule;

/* "constant", "step:size=10,gamma=0.5", "cosine:min=1e-5", "plateau:factor=0.5,patience=3";
 * warm-up is separate. One-line error in msg. */
CT_API ct_status ct_schedule_parse(const char *s, ct_schedule *out, char msg[CT_MSG_LEN]);

/* ---- training options and callbacks ----------------------------------------------------- */

typedef struct ct_epoch_stats {
    int epoch;         /* 1-based */
    long long step;    /* optimizer steps so far */
    double train_loss; /* mean over the epoch's rows (+ 0.5 l2 ||W||^2 at the end of the epoch) */
    double train_acc;  /* NaN for regression */
    double val_loss;   /* NaN without validation data */
    double val_acc;
    double lr;      /* at the end of the epoch */
    double seconds; /* wall time of the epoch (training + validation) */
    double samples_per_sec;
    int improved;     /* validation loss improved by more than min_delta */
    double train_mae; /* a regression's mean absolute error over the epoch's rows and outputs,
                       * as the loss is averaged (batch by batch, during training); NaN for
                       * a classifier */
    double val_mae;   /* the same on the validation data (NaN without it, or a classifier) */
} ct_epoch_stats;

/* Called after each epoch (after its checkpoint is written); return non-zero to stop. */
typedef int (*ct_epoch_fn)(const ct_epoch_stats *s, void *user);
/* Called after each batch is enqueued (no device read): for a progress bar. */
typedef void (*ct_batch_fn)(int epoch, int batch, int n_batches, void *user);
/* Called every log_every steps with the mean training loss of those steps (one read). */
typedef void (*ct_log_fn)(int epoch, long long step, double mean_loss, double lr, void *user);

/* Live verification: one op's comparison at a verified step. */
typedef struct ct_verify_row {
    char op[96];    /* "layer 1 forward: dense + bias (z)" */
    double max_abs; /* largest |device - reference| */
    double max_rel; /* largest relative error over elements >= 1e-3 of the tensor's largest */
    double scaled;  /* largest |device - reference| / max |reference| (what the tolerance bounds) */
} ct_verify_row;

typedef struct ct_verify_report {
    long long step;
    int n;
    ct_verify_row rows[6 * CT_MAX_LAYERS + 4];
} ct_verify_report;

typedef void (*ct_verify_fn)(const ct_verify_report *r, void *user);

/* The kernels a training step will launch, before the first step, on a device where starting
 * them cold costs seconds (see ct_device_warm_wanted): a line "kernel dims l0 l1 l2" each, in
 * the order of their first launch. A caller may hand it to a second process that compiles
 * them from the last (ct_device_warm_plan) while this one compiles from the first. */
typedef void (*ct_plan_fn)(const char *plan, void *user);

/* Where a run stands, for a progress line: called at most every progress_seconds (and after an
 * epoch's last batch), with the epoch's mean training loss so far read back from the device then:
 * one read per call, never one per step. */
typedef struct ct_progress {
    int epoch, epochs;     /* 1-based; the run's last epoch */
    int batch, n_batches;  /* batches of this epoch done, and in all */
    int first_batch;       /* the batch this call's run began the epoch at (a resume within it) */
    int first_epoch;       /* the epoch this call's run began at */
    long long rows;        /* training rows of this epoch done */
    long long step;        /* optimizer steps so far */
    double loss;           /* mean training loss of this epoch's batches so far (this run's);
                            * under ct_model_train_parallel summed over the ranks, which read
                            * together at the moments rank 0's clock picks */
    double seconds;        /* since the run began */
    double epoch_seconds;  /* since this epoch began */
} ct_progress;
typedef void (*ct_progress_fn)(const ct_progress *p, void *user);

typedef struct ct_train_options {
    int epochs;             /* total epochs (20); a resumed run continues up to this */
    int batch;              /* rows per step (32); at most the training rows */
    uint64_t seed;          /* shuffling and dropout (42) */
    ct_optim_params optim;  /* ct_optim_defaults(CT_OPT_ADAM) */
    float l2;               /* penalty 0.5 l2 ||W||^2 added to the loss, weights only (0) */
    ct_schedule schedule;   /* constant */
    int patience;           /* early stopping on the validation loss (0: off) */
    float min_delta;        /* the validation gain that counts (0) */
    int restore_best;       /* with early stopping, end with the best weights (1) */
    int standardize;        /* fit a per-feature scaler on the training data when the model
                             * has none; it is stored in the model and applied to every input
                             * of train, evaluate and predict (0) */
    int log_every;          /* > 0: call on_log every this many steps */
    int verify_every;       /* > 0: every this many steps, run the step through the scalar
                             * reference too and compare every op (on_verify); stop with
                             * CT_ERR_NUMERIC naming the op above verify_tol */
    double verify_tol;      /* max |device - reference| / max |reference| per tensor (1e-3) */
    const char *checkpoint; /* file to keep the weights, optimizer state and step in (NULL) */
    int checkpoint_every;   /* epochs between checkpoints (1); the last epoch always writes */
    int resume;             /* continue from `checkpoint`, which must exist and have been made
                             * with the same architecture, optimizer, batch, seed and tag */
    const char *resume_tag; /* caller's settings a resume must agree on (NULL: none) */
    ct_epoch_fn on_epoch;   /* NULL: none */
    ct_batch_fn on_batch;
    ct_log_fn on_log;
    ct_verify_fn on_verify;
    ct_plan_fn on_plan; /* NULL: none; else called once before the first step on such a device */
    void *user;         /* passed to the callbacks */
    int continue_run;   /* 1: continue the model's last ct_model_train run for `epochs` more
                         * epochs instead of starting a new one: its optimizer state (moments,
                         * step count), epoch count and schedule go on, as in a resume from
                         * memory; the data and the batch may differ (incremental training, as
                         * scikit-learn's partial_fit). A model without a run starts fresh (0) */
    int keep_order;     /* 1: every epoch takes the training rows in order, unshuffled (0) */
    /* NULL, or a flag that a signal handler sets (the library installs none): it is read
     * between steps, never waiting on the device, and a non-zero value ends the run there, with
     * ct_train_result.interrupted. The checkpoint (when set) is written at that step, and a
     * resume from it continues within the epoch, bit for bit as if never stopped. */
    const volatile sig_atomic_t *stop;
    /* NULL, or the caller's text kept in every checkpoint (the command line keeps its options
     * there) and read back by ct_checkpoint_read; a resume does not compare it. */
    const char *checkpoint_note;
    /* NULL, or a folder for TensorBoard event files, written on rank 0 as Keras's TensorBoard
     * callback writes them: runs <dir>/train and <dir>/validation (with validation data), scalars
     * epoch_loss, epoch_accuracy (classification) or epoch_mae (regression) and
     * epoch_learning_rate (train) at step = the epoch's 0-based index, flushed after every epoch. Each run opens new files in the run
     * folders, so a resumed run continues the same curves (its steps follow the checkpoint's). */
    const char *tensorboard_dir;
    int tensorboard_stats;      /* with tensorboard_dir: ct_model_layer_stats per epoch, as scalars
                                 * layer_<l>/activation_mean, activation_std, dead_fraction
                                 * (relu-like hidden layers), weight_gradient_norm (0) */
    int tensorboard_histograms; /* with tensorboard_dir: layer_<l>/weight and layer_<l>/bias
                                 * histograms per epoch (0) */
    ct_progress_fn on_progress; /* NULL: none */
    double progress_seconds;    /* least time between on_progress calls (0.1) */
} ct_train_options;

/* Fills o with the defaults above. */
CT_API void ct_train_defaults(ct_train_options *o);

typedef struct ct_train_result {
    int epochs_run;    /* epochs completed in total (a resumed run counts the earlier ones) */
    long long steps;   /* optimizer steps in total */
    int resumed_epoch; /* epochs done before this call (resume), else 0 */
    long long resumed_step;
    int stopped_early; /* early stopping or the callback asked to stop */
    int restored_best; /* the weights of best_epoch were restored at the end (early stopping
                        * with restore_best) */
    int best_epoch;    /* epoch of the best validation loss (0 without validation) */
    double best_val_loss;
    double seconds; /* wall time of the training */
    ct_epoch_stats last;
    char stop_reason[160]; /* why it stopped before `epochs` ("" when it did not) */
    int interrupted;       /* o->stop ended the run, after epochs_run epochs and stop_batch */
    int stop_batch;        /* batches of epoch epochs_run + 1 (0: at an epoch's end) */
    int batches;           /* batches per epoch */
} ct_train_result;

/* What a checkpoint holds besides the model: where its run stands, and the caller's note. */
typedef struct ct_checkpoint_info {
    int epoch;      /* epochs completed */
    long long step; /* optimizer steps completed */
    int batch;      /* batches of epoch `epoch + 1` completed (a run interrupted within it) */
    char *note;     /* ct_train_options.checkpoint_note of the run ("" when none); freed by
                     * ct_checkpoint_info_free */
} ct_checkpoint_info;

/* Reads the training state of a checkpoint written by ct_model_train; CT_ERR_FORMAT for a model
 * without one (the message names the file). */
CT_API ct_status ct_checkpoint_read(const char *path, ct_checkpoint_info *info,
                                    char msg[CT_MSG_LEN]);
CT_API void ct_checkpoint_info_free(ct_checkpoint_info *info);

/* ---- data-parallel training ------------------------------------------------------------- */

/* The collectives of a group of `size` processes (ranks) that train one model together, such as
 * MPI ranks. The library does not depend on MPI: the caller supplies the functions (the cltrain
 * command does, with MPI_Allreduce and MPI_Bcast, under mpirun). Each returns 0 on success. */
typedef struct ct_comm {
    int rank; /* this process: 0 .. size - 1 */
    int size; /* processes in the group */
    /* buf[i] = the sum of buf[i] over the ranks, with the same bits on every rank */
    int (*allreduce_sum_f32)(float *buf, size_t n, void *ctx);
    int (*allreduce_sum_f64)(double *buf, size_t n, void *ctx);
    /* the bytes of rank root's buf into buf on every rank */
    int (*broadcast)(void *buf, size_t bytes, int root, void *ctx);
    void *ctx;
    /* out, filled by ct_model_train_parallel */
    double exchange_seconds; /* wall time of the gradient sums (device read, sum, write) */
    long long exchanges;     /* gradient sums (one per optimizer step) */
} ct_comm;

/* ---- models ----------------------------------------------------------------------------- */

typedef struct ct_model ct_model;

/* A new model of architecture a on dev (NULL: the scalar reference, in double precision),
 * initialised from seed by init (NULL: CT_INIT_AUTO, biases 0). The device must outlive the
 * model. A classification model gets the classes "0" .. "k-1" until it is trained on data. */
CT_API ct_status ct_model_create(ct_model **out, ct_device *dev, const ct_arch *a,
                                 const ct_init *init, uint64_t seed, char msg[CT_MSG_LEN]);
/* Loads a model or checkpoint saved by ct_model_save (safetensors), or a JSON model, onto dev
 * (NULL: the reference). Every tensor's shape is checked; messages name the file and tensor. */
CT_API ct_status ct_model_load(ct_model **out, ct_device *dev, const char *path,
                               char msg[CT_MSG_LEN]);
CT_API void ct_model_destroy(ct_model *m);
/* The message of the model's last failure ("" when none). */
CT_API const char *ct_model_error(const ct_model *m);

/* Writes the model atomically: JSON when path ends in ".json", else safetensors (weights as
 * layers.<i>.weight / .bias, the architecture, classes, features and scaler in the metadata;
 * readable by the Python safetensors package, PyTorch and plain NumPy). The old file is kept
 * on failure. */
CT_API ct_status ct_model_save(ct_model *m, const char *path);

CT_API const ct_arch *ct_model_arch(const ct_model *m);
CT_API ct_device *ct_model_device(const ct_model *m); /* NULL: the reference */
CT_API ct_task ct_model_task(const ct_model *m);
CT_API int ct_model_inputs(const ct_model *m);
CT_API int ct_model_outputs(const ct_model *m); /* columns of ct_model_predict's output */
CT_API int ct_model_classes(const ct_model *m); /* 0 for regression */
CT_API const char *ct_model_class_name(const ct_model *m, int k);
/* For regression: the name of output j ("y" when unnamed). */
CT_API const char *ct_model_target_name(const ct_model *m, int j);
/* The training CSV's label column ("" when none). */
CT_API const char *ct_model_label_name(const ct_model *m);
/* The name of input feature j: the training data's column name, or "x<j>" (NULL out of range). */
CT_API const char *ct_model_feature_name(const ct_model *m, int j);
/* Parameters in the flat layout (ct_arch_params floats): copied out / in. */
CT_API ct_status ct_model_get_params(ct_model *m, float *params);
CT_API ct_status ct_model_set_params(ct_model *m, const float *params);

/* Names the classes of a classification model (k must be its ct_model_classes), as the files
 * and the command line show them; training on a dataset replaces them with the data's. */
CT_API ct_status ct_model_set_class_names(ct_model *m, const char *const *names, int k);

/* Loads data shaped for the model: labels mapped onto its classes, its task. A CSV with a
 * header has its columns matched to the model's features by name (any order; a missing feature
 * is an error naming it; a column that is neither a feature nor the label is ignored, and
 * ct_model_note says which); without a header, by position, and their count must match. The
 * label column is the one the model was trained with (by name, else by index; the last column
 * for a model that does not record it); with require_labels 0 a CSV may lack it. labels_path /
 * label as in ct_data_opts (may be NULL; label overrides the model's). */
CT_API ct_status ct_model_load_data(ct_model *m, ct_dataset **out, const char *source,
                                    const char *labels_path, const char *label, int require_labels);
/* The note of the last ct_model_load_data or ct_model_match_columns: the columns it ignored,
 * as one line naming them ("" when none). */
CT_API const char *ct_model_note(const ct_model *m);
/* Matches columns named names[0..cols) (as a file's header or a DataFrame's columns) to the
 * model's features, as ct_model_load_data does: map[j] (ct_model_inputs entries) = the column
 * holding feature j. A column named as the model's label is skipped, any other unknown one is
 * ignored and counted in *ignored (may be NULL; ct_model_note names them); a missing feature
 * fails with CT_ERR_FORMAT naming it. A model whose features have the default names x0, x1, ...
 * takes the columns by position (their count must match, a last extra one being the label). */
CT_API ct_status ct_model_match_columns(ct_model *m, const char *const *names, int cols, int *map,
                                        int *ignored);
/* Cells (as ct_data_from_cells takes them) as data for the model, as ct_model_load_data reads
 * a CSV: columns matched to the model's by name (a missing one is an error naming it, others
 * are ignored and ct_model_note names them, with the cells whose category training never saw);
 * a model trained on a table applies its encoding. labels (the model's classes) or Y (its
 * outputs) may be NULL: then a column named as the model's label gives them, if any. */
CT_API ct_status ct_model_data_from_cells(ct_model *m, ct_dataset **out, int n, int ncol,
                                          const char *const *cells, const char *const *names,
                                          const int32_t *labels, const float *Y);
/* The columns of the table the model was trained on (its encoding's), 0 when it was trained
 * on numbers alone; and column j's name (NULL out of range), and 1 when it is categorical. */
CT_API int ct_model_columns(const ct_model *m);
CT_API const char *ct_model_column_name(const ct_model *m, int j);
CT_API int ct_model_column_categorical(const ct_model *m, int j);

/* Trains on train (validating on val, may be NULL) with options o (NULL: the defaults) until
 * o->epochs, early stopping, or on_epoch asking to stop. A new call starts a new run: fresh
 * optimizer state and schedule, from the current weights (or from the checkpoint with
 * o->resume, or where the last run stopped with o->continue_run). The model takes the data's
 * classes and feature names. A NaN or Inf loss stops with CT_ERR_NUMERIC naming the epoch and
 * steps. res may be NULL. */
CT_API ct_status ct_model_train(ct_model *m, const ct_dataset *train, const ct_dataset *val,
                                const ct_train_options *o, ct_train_result *res);

/* From within the on_epoch callback of a ct_model_train run: the steps after it train with base
 * learning rate lr in place of o->optim.lr (the schedule applies on top of it, and it replaces
 * any plateau reduction so far). A run continued with continue_run keeps it; a new run starts
 * from o->optim.lr again. scikit-learn's 'invscaling' and 'adaptive' learning rates use it.
 * CT_ERR_ARG outside a run, or when lr is not positive and finite. */
CT_API ct_status ct_model_set_lr(ct_model *m, double lr);

/* ct_model_train on comm's ranks, data-parallel (comm NULL or size 1: ct_model_train). Every rank
 * calls it with the same model, data and options. Each step, rank r computes the gradient of its
 * share of the batch (o->batch is the whole batch: rank r takes rows r*b .. of it, b = batch /
 * size, the first batch % size ranks one more), the gradients are summed with comm, and every
 * rank takes the same optimizer step, so the ranks hold identical weights, equal up to rounding
 * to one process training with the same batch (dropout masks included). Rank 0's weights are
 * broadcast first. Losses and accuracies (epoch statistics, on_log) are the whole batch's on
 * every rank; validation is shared across ranks too. Only rank 0 writes the checkpoint; a resume
 * reads it on rank 0 and broadcasts it, and needs the same number of ranks. A stop asked by any
 * rank's on_epoch stops all. At the end the ranks' weights are compared: CT_ERR_NUMERIC if any
 * differ from rank 0's. o->verify_every is not supported here (CT_ERR_ARG). A rank that fails
 * returns its error while the others may wait in a collective: the caller ends the group (with
 * MPI, MPI_Abort). comm->exchange_seconds and exchanges are filled. */
CT_API ct_status ct_model_train_parallel(ct_model *m, const ct_dataset *train,
                                         const ct_dataset *val, const ct_train_options *o,
                                         ct_comm *comm, ct_train_result *res);

/* Mean loss and accuracy (NaN for regression) on d, in batches of `batch` rows (<= 0: 256). */
CT_API ct_status ct_model_evaluate(ct_model *m, const ct_dataset *d, int batch, double *loss,
                                   double *accuracy);
/* Outputs of n rows X (n, inputs): class probabilities (n, classes) for classification (both
 * classes for a sigmoid output: 1 - p, p), values (n, outputs) for regression. The model's
 * scaler is applied to (a copy of) X. */
CT_API ct_status ct_model_predict(ct_model *m, const float *X, int n, float *out);
/* Columns of ct_model_predict's output: classes, or outputs for regression. */
CT_API int ct_model_predict_columns(const ct_model *m);

/* Per-layer statistics on the first `batch` rows of the training data of the current (or
 * last) ct_model_train, computed on the device: for --stats and for watching a run from
 * on_epoch. */
typedef struct ct_layer_stats {
    double act_mean;  /* mean of the layer's activations (the last layer: its logits) */
    double act_std;   /* their standard deviation (population) */
    double dead_frac; /* fraction of units whose activation is <= 0 on every row (relu-like
                       * layers; 0 for others) */
    double grad_norm; /* ||dL/dW|| of the last training step (0 before any step) */
} ct_layer_stats;

CT_API ct_status ct_model_layer_stats(ct_model *m, ct_layer_stats *out /* n_layers */);

/* ---- learning-rate range test ----------------------------------------------------------- */

/* Leslie Smith's range test (fastai's lr_find): from the current weights, one step per batch
 * with a learning rate growing exponentially from start_lr to end_lr; the losses, smoothed,
 * and the rate where the smoothed loss falls fastest. */
typedef struct ct_lrfind_opts {
    double start_lr, end_lr; /* 0 < start < end */
    int steps;               /* >= 2 */
    int batch;               /* rows per step (the last batch of an epoch may be shorter) */
    uint64_t seed;           /* shuffling and dropout */
    float l2;                /* as ct_train_options.l2 */
    double smooth;           /* EMA factor beta in [0, 1): 0 keeps the raw losses */
    double diverge;          /* stop when the smoothed loss exceeds diverge x its best so far
                              * (> 1; 0: never) */
    int read_every;          /* read the losses back every this many steps (<= 0: 16) */
    ct_optim_params optim;   /* the optimizer (its lr is replaced by the range) */
    int standardize;         /* as ct_train_options.standardize */
} ct_lrfind_opts;

typedef struct ct_lrfind_result {
    int n;            /* steps recorded (finite losses) */
    double *lr;       /* (n) the learning rate of each step */
    double *loss;     /* (n) the loss of each step's batch, before its update */
    double *smoothed; /* (n) the bias-corrected EMA of loss */
    int diverged;     /* stopped early: the smoothed loss exceeded diverge x best, or a NaN */
    int suggestion;   /* index of the suggested point, -1 when none */
    double suggested_lr;
    int min_index; /* index of the smallest smoothed loss (-1 when n == 0) */
    char stop_reason[200];
} ct_lrfind_result;

/* Runs the test on train; the model's weights are left as they were. r is filled (free with
 * ct_lrfind_result_free, also after a failure). */
CT_API ct_status ct_model_lr_find(ct_model *m, const ct_dataset *train, const ct_lrfind_opts *o,
                                  ct_lrfind_result *r);
CT_API void ct_lrfind_result_free(ct_lrfind_result *r);
/* step,lr,loss,smoothed_loss rows, written atomically. */
CT_API ct_status ct_lrfind_write_csv(const char *path, const ct_lrfind_result *r,
                                     char msg[CT_MSG_LEN]);
/* The range test as TensorBoard event files in <dir>/train (a new file each call): scalars
 * lr_find/loss, lr_find/smoothed_loss and lr_find/learning_rate at step = the step's index, and
 * lr_find/suggested_lr at step 0 when there is a suggestion. */
CT_API ct_status ct_lrfind_write_tensorboard(const char *dir, const ct_lrfind_result *r,
                                             char msg[CT_MSG_LEN]);
/* The smoothed loss against the rate (both log scales) with the suggestion marked, as SVG. */
CT_API ct_status ct_lrfind_plot_svg(const char *path, const char *title, const char *panel,
                                    const ct_lrfind_result *r, char msg[CT_MSG_LEN]);

/* ---- inside one step: explain and gradient checks -------------------------------------- */

/* One forward and backward pass of a small batch with every intermediate tensor kept, computed
 * on a device or by the scalar reference, and optionally one optimizer step: the material of
 * `cltrain explain` and `cltrain gradcheck`. */
typedef struct ct_pass {
    ct_arch arch;
    ct_layout lay;
    int B;
    double *z[CT_MAX_LAYERS]; /* (B, out_l) pre-activation */
    double *a[CT_MAX_LAYERS]; /* (B, out_l) activation; output layer: probabilities (ce: softmax,
                               * bce: sigmoid) or values (mse, huber) */
    double *delta[CT_MAX_LAYERS]; /* (B, out_l) dL/dz_l */
    double *grad;                 /* (n_params) dL/dparams in the flat layout */
    double loss;                  /* mean loss of the batch */
    int stepped;
    double *params;  /* (n_params) after the step */
    double *m, *v;   /* (n_params) optimizer state after the step (zero before it) */
    double bc1, bc2; /* Adam's bias corrections 1 - b1^t, 1 - b2^t (t = 1) */
    /* a normalized hidden layer (NULL otherwise): Y = gamma xhat + beta, the activation's input
     * (B, out_l); the statistics used: batch norm's per unit (out_l), the batch's while
     * training and the running ones in evaluation; layer norm's per row (B). Biased variance. */
    double *norm_out[CT_MAX_LAYERS];
    double *mean[CT_MAX_LAYERS], *var[CT_MAX_LAYERS];
    int eval; /* the pass ran in evaluation mode (running statistics) */
} ct_pass;

/* params: n_params floats; X: (B, in); labels (B) for ce, targets (B, outputs) otherwise.
 * step: NULL for no optimizer step, else one step t = 1 from zero state. */
CT_API ct_status ct_pass_run(ct_device *dev, const ct_arch *a, const float *params, const float *X,
                             const int *labels, const float *targets, int B,
                             const ct_optim_params *step, ct_pass *out, char msg[CT_MSG_LEN]);
/* The same in evaluation mode when eval != 0: batch norm by its running statistics (which
 * stay as they are); ct_pass_run is training mode: the batch's statistics, and the running
 * ones move (out->params holds them after the pass). */
CT_API ct_status ct_pass_run_mode(ct_device *dev, const ct_arch *a, const float *params,
                                  const float *X, const int *labels, const float *targets, int B,
                                  const ct_optim_params *step, int eval, ct_pass *out,
                                  char msg[CT_MSG_LEN]);
CT_API void ct_pass_free(ct_pass *p);

/* The mean loss of the batch by the reference with double parameters (for finite
 * differences); X, labels, targets as above. */
CT_API double ct_ref_loss_at(const ct_arch *a, const double *params, const float *X,
                             const int *labels, const float *targets, int B);

/* ct_pass_run on the model's parameters, on dev (NULL: the reference), with the model's scaler
 * applied to X (in the data's units, as for ct_model_predict). */
CT_API ct_status ct_model_explain(ct_model *m, ct_device *dev, const float *X, const int *labels,
                                  const float *targets, int B, const ct_optim_params *step,
                                  ct_pass *out);
/* The same in evaluation mode when eval != 0 (see ct_pass_run_mode). */
CT_API ct_status ct_model_explain_mode(ct_model *m, ct_device *dev, const float *X,
                                       const int *labels, const float *targets, int B,
                                       const ct_optim_params *step, int eval, ct_pass *out);

/* ---- training history ------------------------------------------------------------------- */

/* One CSV row per epoch (epoch, step, train_loss, train_acc, val_loss, val_acc, lr, seconds,
 * samples_per_sec, train_mae, val_mae; empty cells for NaN), written atomically. */
CT_API ct_status ct_history_write_csv(const char *path, const ct_epoch_stats *h, int n,
                                      char msg[CT_MSG_LEN]);
/* An SVG of the loss curves and the accuracy curves when with_accuracy, else the mean absolute
 * error's when the history has it (a regression's), written atomically. */
CT_API ct_status ct_history_plot_svg(const char *path, const char *title, const ct_epoch_stats *h,
                                     int n, int with_accuracy, char msg[CT_MSG_LEN]);

#ifdef __cplusplus
}
#endif
#endif
