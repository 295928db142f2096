/*
 * hgwt_main.c - hgwinetest.exe, the end-to-end client of hiveguard.sys.
 *
 *   hgwinetest.exe [SERVICE [--release-image PATH]]
 *                                        Wine suite, test build (injection); with
 *                                        PATH, also loads the release image and
 *                                        proves it has no inject path
 *   hgwinetest.exe --real [SERVICE]      Windows VM suite, release build: real
 *                                        registry writes from helper processes
 *   hgwinetest.exe --child READY DIE     (internal) agent that dies with callers waiting
 *   hgwinetest.exe --reg-helper OP NAME  (internal) one real registry call, exit code = Win32 error
 *
 * Exits non-zero on any failure; the last line is exactly "N passed, N failed".
 */
#include "hgwt.h"

int wmain(int argc, wchar_t **argv)
{
    if (argc == 4 && wcscmp(argv[1], L"--child") == 0)
        return inject_child_main(argv[2], argv[3]);
    if (argc >= 2 && wcscmp(argv[1], L"--reg-helper") == 0)
        return reg_helper_main(argc, argv);
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 2 && wcscmp(argv[1], L"--real") == 0) {
        if (argc >= 3)
            g_service = argv[2];
        g_want_inject = 0;
        run_real_suite();
    } else {
        if (argc >= 2)
            g_service = argv[1];
        if (argc >= 4 && wcscmp(argv[2], L"--release-image") == 0)
            g_release_image = argv[3];
        run_inject_suite();
    }
    summary_and_exit(g_failed ? 1 : 0);
    return 0;
}
