// What a per-thread CPU-time timer with a signal handler costs, beside perf-switch-cost.c's perf events:
// the design a native sampler would use instead of the runtime's suspend-everything rounds.
//
//   gcc -O2 -pthread build/probes/cpu-timer-cost.c -o /tmp/cpu-timer-cost && /tmp/cpu-timer-cost
//
// Each thread arms its own timer on its own CPU clock (timer_create with CLOCK_THREAD_CPUTIME_ID, delivered to
// that thread with SIGEV_THREAD_ID), so only a thread that runs is ever interrupted, and the kernel checks such
// timers at its scheduler tick, not at each context switch. The handler does what a sampler's would: it reads
// the interrupted registers, follows the frame-pointer chain within the thread's stack (at most 128 frames)
// and appends the addresses to a per-thread buffer.
//
// Prints, best of five runs, in CPU time of the process (so another busy process does not move them much):
//   - microseconds of CPU per context switch (two threads pinned to one CPU handing a token back and forth through
//     eventfds: hand-off.h) with no timer and with a timer at 60 samples per CPU-second on each thread;
//   - microseconds per sample: a CPU-bound loop timed with no timer and with a timer at 2,000 samples per
//     CPU-second (to make the cost measurable; the kernel checks CPU timers at its tick, so at most HZ
//     samples per CPU-second are taken), the difference divided by the samples taken;
//   - the same per signal with a 20 kHz wall-clock timer delivered to the loop's thread (not bound to the
//     tick, so thousands of signals make the cost stand out of the loop's own variation);
//   - what that would cost a process at the default target (55 samples per CPU-second) on both cores.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include "hand-off.h"

#define MAX_FRAMES 128
#define SAMPLE_SLOTS 4096

struct thread_samples {
    uintptr_t stack_low, stack_high;
    long taken;
    long frames;
    uintptr_t slots[SAMPLE_SLOTS][MAX_FRAMES];
};

static __thread struct thread_samples *current_samples;
static long timer_period_ns;

static void on_sample(int signal_number, siginfo_t *info, void *context)
{
    (void)signal_number;
    (void)info;
    struct thread_samples *samples = current_samples;
    if (samples == NULL) {
        return;
    }

    ucontext_t *uc = (ucontext_t *)context;
#if defined(__x86_64__)
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.pc;
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.regs[29];
#else
#error "x64 or arm64 only"
#endif
    uintptr_t *slot = samples->slots[samples->taken % SAMPLE_SLOTS];
    int n = 0;
    slot[n++] = ip;
    // Each frame holds the caller's frame pointer, then the return address; stay inside this thread's stack
    // and require the chain to go up, so a register that holds something else ends the walk, never faults.
    while (n < MAX_FRAMES && fp >= samples->stack_low && fp + 16 <= samples->stack_high && (fp & 7) == 0) {
        uintptr_t next = ((uintptr_t *)fp)[0];
        uintptr_t ret = ((uintptr_t *)fp)[1];
        if (ret == 0) {
            break;
        }

        slot[n++] = ret;
        if (next <= fp) {
            break;
        }

        fp = next;
    }

    samples->frames += n;
    samples->taken++;
}

static timer_t arm_timer_on(clockid_t clock, long period_ns)
{
    pthread_attr_t attr;
    void *low;
    size_t size;
    pthread_getattr_np(pthread_self(), &attr);
    pthread_attr_getstack(&attr, &low, &size);
    pthread_attr_destroy(&attr);
    struct thread_samples *samples = calloc(1, sizeof *samples);
    samples->stack_low = (uintptr_t)low;
    samples->stack_high = (uintptr_t)low + size;
    current_samples = samples;

    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGPROF;
    event._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_t timer;
    if (timer_create(clock, &event, &timer) != 0) {
        perror("timer_create");
        exit(1);
    }

    struct itimerspec spec = { { 0, period_ns }, { 0, period_ns } };
    timer_settime(timer, 0, &spec, NULL);
    return timer;
}

static timer_t arm_timer(long period_ns) { return arm_timer_on(CLOCK_THREAD_CPUTIME_ID, period_ns); }

static long disarm_timer(timer_t timer)
{
    timer_delete(timer);
    long taken = current_samples->taken;
    current_samples = NULL;
    return taken;
}

// Each hand-off thread's own timer, armed when it starts and deleted when it ends.
static __thread timer_t hand_off_timer;

static void arm_hand_off_timer(void) { hand_off_timer = arm_timer(timer_period_ns); }

static void disarm_hand_off_timer(void) { disarm_timer(hand_off_timer); }

static double switch_microseconds(long period_ns)
{
    timer_period_ns = period_ns;
    return period_ns == 0
        ? microseconds_per_switch(CLOCK_PROCESS_CPUTIME_ID, NULL, NULL)
        : microseconds_per_switch(CLOCK_PROCESS_CPUTIME_ID, arm_hand_off_timer, disarm_hand_off_timer);
}

// CPU time of the process, not wall time: the figures then hold on a machine that is busy with other work.
static double seconds_since(const struct timespec *start)
{
    struct timespec end;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &end);
    return seconds_between(start, &end);
}

// A few nested calls so the handler has frames to walk (built with frame pointers below).
static __attribute__((noinline)) uint64_t work_leaf(uint64_t x)
{
    for (int i = 0; i < 1000; i++) {
        x = (x * 6364136223846793005ULL) + 1442695040888963407ULL;
    }

    return x;
}

static __attribute__((noinline)) uint64_t work_middle(uint64_t x) { return work_leaf(x) ^ (x >> 7); }

static __attribute__((noinline)) uint64_t work_top(uint64_t x) { return work_middle(x) + 1; }

static volatile uint64_t sink;

static clockid_t loop_clock = CLOCK_THREAD_CPUTIME_ID;

static void *cpu_loop(void *argument)
{
    long period_ns = (long)(intptr_t)argument;
    pin_to_cpu(1);
    timer_t timer = 0;
    if (period_ns != 0) {
        timer = arm_timer_on(loop_clock, period_ns);
    }

    uint64_t x = 1;
    for (long i = 0; i < 2000000; i++) {
        x = work_top(x);
    }

    sink = x;
    long taken = period_ns != 0 ? disarm_timer(timer) : 0;
    return (void *)(intptr_t)taken;
}

static double loop_seconds(long period_ns, long *taken)
{
    struct timespec start;
    pthread_t thread;
    void *result;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
    pthread_create(&thread, NULL, cpu_loop, (void *)(intptr_t)period_ns);
    pthread_join(thread, &result);
    *taken = (long)(intptr_t)result;
    return seconds_since(&start);
}

int main(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sample;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGPROF, &action, NULL);

    const long default_period = 1000000000L / 60;
    const long fast_period = 1000000000L / 2000;
    double best_switch[2] = { 1e9, 1e9 };
    double best_loop[2] = { 1e9, 1e9 };
    long samples_in_best = 0;
    double best_wall = 1e9;
    long signals_in_best = 0;
    for (int run = 0; run < 5; run++) {
        double value = switch_microseconds(0);
        best_switch[0] = value < best_switch[0] ? value : best_switch[0];
        value = switch_microseconds(default_period);
        best_switch[1] = value < best_switch[1] ? value : best_switch[1];

        long taken;
        loop_clock = CLOCK_THREAD_CPUTIME_ID;
        value = loop_seconds(0, &taken);
        best_loop[0] = value < best_loop[0] ? value : best_loop[0];
        value = loop_seconds(fast_period, &taken);
        if (value < best_loop[1]) {
            best_loop[1] = value;
            samples_in_best = taken;
        }

        loop_clock = CLOCK_MONOTONIC;
        value = loop_seconds(1000000000L / 20000, &taken);
        if (value < best_wall) {
            best_wall = value;
            signals_in_best = taken;
        }
    }

    double per_sample_us = (best_wall - best_loop[0]) / (double)signals_in_best * 1e6;
    printf("no timer                        %6.2f us of CPU per context switch\n", best_switch[0]);
    printf("CPU-time timer, 60 per CPU-s    %6.2f us of CPU per context switch (%+.2f)\n", best_switch[1], best_switch[1] - best_switch[0]);
    printf("CPU loop: %.3f s of CPU without a timer; %.3f s with a CPU-time timer asking 2,000 per CPU-s (%ld samples: %.0f per CPU-s, the tick's limit)\n",
           best_loop[0], best_loop[1], samples_in_best, (double)samples_in_best / best_loop[1]);
    printf("CPU loop with a 20 kHz wall-clock timer: %.3f s of CPU, %ld signals\n", best_wall, signals_in_best);
    printf("per sample (signal delivery, handler, frame-pointer walk): %.2f us\n", per_sample_us);
    printf("at 55 samples per CPU-second on 2 busy cores: %.3f %% of the machine\n", per_sample_us * 55.0 / 1e6 * 100.0);
    return 0;
}
