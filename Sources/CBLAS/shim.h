#include <cblas.h>
/* OpenBLAS extensions used to report the BLAS configuration. */
char *openblas_get_config(void);
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);
