// The context-switch benchmark that perf-switch-cost.c and cpu-timer-cost.c share: two threads pinned to one
// CPU hand a token back and forth through eventfds, so every hand-off is a context switch.
#ifndef HAND_OFF_H
#define HAND_OFF_H

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static const long hand_offs = 200000;
static int hand_off_token[2];
static void (*hand_off_thread_start)(void);
static void (*hand_off_thread_end)(void);

static void pin_to_cpu(int cpu)
{
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(cpu, &cpus);
    sched_setaffinity(0, sizeof cpus, &cpus);
}

static void *hand_off(void *argument)
{
    int side = (int)(intptr_t)argument;
    pin_to_cpu(0);
    if (hand_off_thread_start != NULL) {
        hand_off_thread_start();
    }

    uint64_t value = 1;
    for (long i = 0; i < hand_offs; i++) {
        if (side == 0) {
            if (write(hand_off_token[1], &value, 8) != 8 || read(hand_off_token[0], &value, 8) != 8) exit(1);
        } else {
            if (read(hand_off_token[1], &value, 8) != 8 || write(hand_off_token[0], &value, 8) != 8) exit(1);
        }
    }

    if (hand_off_thread_end != NULL) {
        hand_off_thread_end();
    }

    return NULL;
}

static double seconds_between(const struct timespec *start, const struct timespec *end)
{
    return (double)(end->tv_sec - start->tv_sec) + ((double)(end->tv_nsec - start->tv_nsec) / 1e9);
}

// Microseconds of clock (wall or CPU time) per context switch; each of the two threads calls thread_start
// before its first hand-off and thread_end after its last (either may be NULL).
static double microseconds_per_switch(clockid_t clock, void (*thread_start)(void), void (*thread_end)(void))
{
    if (hand_off_token[0] == 0) {
        hand_off_token[0] = eventfd(0, 0);
        hand_off_token[1] = eventfd(0, 0);
    }

    hand_off_thread_start = thread_start;
    hand_off_thread_end = thread_end;
    struct timespec start, end;
    pthread_t first, second;
    clock_gettime(clock, &start);
    pthread_create(&first, NULL, hand_off, (void *)0);
    pthread_create(&second, NULL, hand_off, (void *)1);
    pthread_join(first, NULL);
    pthread_join(second, NULL);
    clock_gettime(clock, &end);
    return seconds_between(&start, &end) / (2.0 * (double)hand_offs) * 1e6;
}

#endif
