# Sourced by the MPI tests: what Open MPI (4 and 5) needs in a container. Running as root, more
# ranks than cores, no ssh for a local job, and no cross-process memory attach (CMA is often
# forbidden there).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 PRTE_MCA_rmaps_default_mapping_policy=:oversubscribe
export OMPI_MCA_btl_vader_single_copy_mechanism=none
if ! command -v ssh >/dev/null 2>&1 && ! command -v rsh >/dev/null 2>&1; then
    export OMPI_MCA_plm_rsh_agent=false PRTE_MCA_plm_ssh_agent=false
fi
