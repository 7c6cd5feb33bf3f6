// What a per-thread perf event adds to every context switch of its thread.
//
//   gcc -O2 -pthread build/probes/perf-switch-cost.c -o /tmp/perf-switch-cost && /tmp/perf-switch-cost
//
// Two threads pinned to one CPU hand a token back and forth through eventfds, so every hand-off is a context
// switch. The same run is timed with no event, with a counting-only task-clock event on each thread, and with
// a sampling one (about 60 samples per CPU-second, user mode, with a ring buffer): the kind of event a
// sampler that needs no runtime suspension would open for every thread of the process. Prints microseconds
// per switch for each, best of five runs.
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum mode { NO_EVENT, COUNTING, SAMPLING };

static const long hand_offs = 200000;
static enum mode current_mode;
static int token[2];

static void open_event(void)
{
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    if (current_mode == SAMPLING) {
        attr.sample_period = 16666666; // nanoseconds of the thread's CPU time: 60 per CPU-second
        attr.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CALLCHAIN;
    }

    int fd = (int)syscall(SYS_perf_event_open, &attr, 0 /* this thread */, -1, -1, 0);
    if (fd < 0) {
        perror("perf_event_open (kernel.perf_event_paranoid above 2, or blocked by seccomp?)");
        exit(1);
    }

    if (current_mode == SAMPLING && mmap(NULL, 9 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED) {
        perror("mmap of the ring buffer");
        exit(1);
    }
}

static void *hand_off(void *argument)
{
    int side = (int)(intptr_t)argument;
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);
    if (current_mode != NO_EVENT) {
        open_event();
    }

    uint64_t value = 1;
    for (long i = 0; i < hand_offs; i++) {
        if (side == 0) {
            if (write(token[1], &value, 8) != 8 || read(token[0], &value, 8) != 8) exit(1);
        } else {
            if (read(token[1], &value, 8) != 8 || write(token[0], &value, 8) != 8) exit(1);
        }
    }

    return NULL;
}

static double microseconds_per_switch(enum mode mode)
{
    current_mode = mode;
    struct timespec start, end;
    pthread_t first, second;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pthread_create(&first, NULL, hand_off, (void *)0);
    pthread_create(&second, NULL, hand_off, (void *)1);
    pthread_join(first, NULL);
    pthread_join(second, NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (double)(end.tv_sec - start.tv_sec) + ((double)(end.tv_nsec - start.tv_nsec) / 1e9);
    return seconds / (2.0 * (double)hand_offs) * 1e6;
}

int main(void)
{
    static const char *names[] = { "no event", "counting task-clock event", "sampling task-clock event" };
    token[0] = eventfd(0, 0);
    token[1] = eventfd(0, 0);
    double best[3] = { 1e9, 1e9, 1e9 };
    for (int run = 0; run < 5; run++) {
        for (int mode = NO_EVENT; mode <= SAMPLING; mode++) {
            double value = microseconds_per_switch((enum mode)mode);
            best[mode] = value < best[mode] ? value : best[mode];
        }
    }

    for (int mode = NO_EVENT; mode <= SAMPLING; mode++) {
        printf("%-28s %6.2f us per context switch (%+.2f)\n", names[mode], best[mode], best[mode] - best[NO_EVENT]);
    }

    return 0;
}
