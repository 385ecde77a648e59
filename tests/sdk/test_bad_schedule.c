/*
 * tests/sdk/test_bad_schedule.c — the SDK's declaration check: describing a module whose
 * schedule table lacks a U64 primary key logs the reason at Panic level and traps. The trap
 * would end the test process, so the describe runs in a forked child whose log lines come
 * back through a pipe.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "sdk/sdk_test.h"

TEST(bad_schedule_panics_with_a_reason)
{
    int fds[2];
    CHECK(pipe(fds) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        fh_set_log_fd(fds[1]);
        u32 len = 0;
        u8 *bytes = fh_describe(&len); /* must not return */
        lc_free(bytes);
        _exit(0);
    }
    close(fds[1]);
    char out[512] = {0};
    size_t used = 0;
    ssize_t n;
    while (used < sizeof out - 1 && (n = read(fds[0], out + used, sizeof out - 1 - used)) > 0)
        used += (size_t)n;
    close(fds[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(!(WIFEXITED(status) && WEXITSTATUS(status) == 0)); /* trapped */
    CHECK(strstr(out, "module declaration error: a schedule table needs a U64 primary key: "
                      "bad_timer") != NULL);
}
