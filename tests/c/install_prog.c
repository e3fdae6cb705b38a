/* install_prog.c: the smallest program built against an installed ocireg
 * through pkg-config (tests/c/install_test.sh). */
#include <stdio.h>

#include <ocireg.h>

int main(void)
{
    printf("%s\n", ocireg_version());
    return 0;
}
