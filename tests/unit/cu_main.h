/* Shared main() for the CUnit programs: each tests/unit/test_*.c defines its
 * suites in a CU_SuiteInfo array and ends with PS_CUNIT_MAIN(suites). The exit
 * status is nonzero when any assertion failed, so ctest sees failures. */
#ifndef PS_CU_MAIN_H
#define PS_CU_MAIN_H

#include <CUnit/Basic.h>
#include <stdlib.h>

#define PS_CUNIT_MAIN(suites_array)                                        \
    int main(void)                                                         \
    {                                                                      \
        if (CU_initialize_registry() != CUE_SUCCESS)                       \
            return 2;                                                      \
        if (CU_register_suites(suites_array) != CUE_SUCCESS) {             \
            CU_cleanup_registry();                                         \
            return 2;                                                      \
        }                                                                  \
        CU_basic_set_mode(CU_BRM_VERBOSE);                                 \
        CU_basic_run_tests();                                              \
        unsigned failed = CU_get_number_of_failures() +                    \
                          CU_get_number_of_tests_failed();                 \
        CU_cleanup_registry();                                             \
        return failed ? 1 : 0;                                             \
    }

#endif
