/*
 * check_vectors.c - the reverse direction of the golden vectors: the Java
 * tests re-encode config, reply and hello_request from the .txt values into
 * <dir>/java/<name>.bin; this compares each byte for byte with <dir>/<name>.bin
 * and feeds it to the real core validator on a fresh core, expecting success.
 * One line per vector; exit status 0 only if all three pass.
 *
 * usage: check_vectors [dir]   (default: the directory holding this program)
 */
#define _POSIX_C_SOURCE 200809L
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vectors.h"

#define MAX_VECTOR_BYTES HG_CONFIG_MAX_BYTES

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;

    if (f == NULL)
        return NULL;
    buf = malloc(MAX_VECTOR_BYTES + 1);
    if (buf == NULL) {
        fclose(f);
        return NULL;
    }
    *len = fread(buf, 1, MAX_VECTOR_BYTES + 1, f);
    fclose(f);
    if (*len > MAX_VECTOR_BYTES) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* A fresh core with a client opened (and, unless `hello_only`, bound). */
static hg_core *fresh_core(int bound)
{
    hg_core_params params = { .no_client_verdict = HG_VERDICT_ALLOW, .capabilities = GOLDEN_CAPABILITIES, .instance_id = GOLDEN_INSTANCE_ID };
    hg_core *core;

    if (hg_core_create(&params, &core) != HG_STATUS_SUCCESS)
        return NULL;
    if (hg_core_open(core, TEST_CLIENT_KEY) != HG_STATUS_SUCCESS ||
        (bound && fixture_hello(core, TEST_CLIENT_KEY) != HG_STATUS_SUCCESS)) {
        hg_core_destroy(core);
        return NULL;
    }
    return core;
}

static uint32_t validate(const char *name, const unsigned char *buf, size_t len)
{
    HG_HELLO_REPLY hello_reply;
    HG_REPLY_RESULT result;
    uint32_t status;
    size_t w;
    hg_core *core = fresh_core(strcmp(name, VECTOR_HELLO_REQUEST) != 0);

    if (core == NULL)
        return HG_STATUS_INSUFFICIENT_RESOURCES;
    if (strcmp(name, VECTOR_CONFIG) == 0)
        status = hg_core_configure(core, TEST_CLIENT_KEY, buf, len);
    else if (strcmp(name, VECTOR_REPLY) == 0)
        status = hg_core_reply(core, TEST_CLIENT_KEY, buf, len, &result, sizeof result, &w);
    else
        status = hg_core_hello(core, TEST_CLIENT_KEY, buf, len, &hello_reply, sizeof hello_reply, &w);
    hg_core_destroy(core);
    return status;
}

static int check_one(const char *dir, const char *name)
{
    char c_path[4096], java_path[4096];
    unsigned char *c_bin, *java_bin;
    size_t c_len = 0, java_len = 0, i;
    uint32_t status;
    int ok = 0;

    snprintf(c_path, sizeof c_path, "%s/%s.bin", dir, name);
    snprintf(java_path, sizeof java_path, "%s/java/%s.bin", dir, name);
    c_bin = read_file(c_path, &c_len);
    java_bin = read_file(java_path, &java_len);
    if (c_bin == NULL)
        printf("%-14s FAIL missing or unreadable %s\n", name, c_path);
    else if (java_bin == NULL)
        printf("%-14s FAIL missing or unreadable %s\n", name, java_path);
    else if (java_len != c_len || memcmp(c_bin, java_bin, c_len) != 0) {
        for (i = 0; i < c_len && i < java_len && c_bin[i] == java_bin[i]; i++)
            ;
        printf("%-14s FAIL differs at byte %zu (C %zu bytes, Java %zu bytes)\n", name, i, c_len, java_len);
    } else if ((status = validate(name, java_bin, java_len)) != HG_STATUS_SUCCESS)
        printf("%-14s FAIL identical, but the core rejects it with 0x%08X\n", name, status);
    else {
        printf("%-14s ok   %zu bytes identical, accepted by the core\n", name, c_len);
        ok = 1;
    }
    free(c_bin);
    free(java_bin);
    return ok;
}

int main(int argc, char **argv)
{
    static const char *names[] = { VECTOR_CONFIG, VECTOR_REPLY, VECTOR_HELLO_REQUEST };
    char self[4096];
    const char *dir;
    size_t i;
    int failed = 0;
    ssize_t n;

    if (argc > 1) {
        dir = argv[1];
    } else {
        n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0) {
            fprintf(stderr, "check_vectors: cannot find my own directory; pass it\n");
            return 2;
        }
        self[n] = '\0';
        dir = dirname(self);
    }
    for (i = 0; i < sizeof names / sizeof names[0]; i++)
        failed += !check_one(dir, names[i]);
    return failed == 0 ? 0 : 1;
}
