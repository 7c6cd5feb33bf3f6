// A native CPU sampler for a .NET process, to measure whether it is cheaper than the runtime's sampling rounds
// (a probe, not the product; see native-sampler.cs for how it is driven and what it prints).
//
// Every thread of the process gets a POSIX timer on its own CPU clock (the clock of another thread of the same
// process can be named by its id), delivered to that thread as SIGPROF. The kernel checks CPU timers at its
// tick, so a thread is interrupted only while it runs, and a context switch costs nothing extra (unlike a perf
// event, which is switched in and out with its thread). The handler copies the top of the interrupted stack
// with process_vm_readv (a bad address gives EFAULT instead of a fault), follows the frame-pointer chain in the
// copy, reading further chunks when the chain leaves it, and appends (thread, time, addresses) to a ring that
// a managed thread drains. Where the frame-pointer register starts no plausible chain (libc has no frame
// pointers), it scans up from the stack pointer for the first frame record that does. It takes no lock and allocates nothing, so it is safe wherever the thread stopped.
//
//   gcc -O2 -shared -fPIC -fno-omit-frame-pointer build/probes/native-sampler/sampler.c -o /tmp/libnativesampler.so
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define MAX_FRAMES 128
#define CHUNK_BYTES 8192

struct sample {
    _Atomic uint32_t committed; // 0 while being written or read, 1 when complete
    int32_t tid;
    int64_t timestamp_ns;       // CLOCK_MONOTONIC, the clock of .NET's Stopwatch on Linux
    int32_t frame_count;
    int32_t reserved;
    uint64_t frames[MAX_FRAMES];
};

static struct sample *ring;
static uint32_t ring_mask;
static _Atomic uint64_t write_index;
static _Atomic uint64_t read_index;
static _Atomic uint64_t lost;
static _Atomic uint64_t chunk_reads;
static _Atomic uint64_t scanned;
static pid_t own_pid;

static int read_chunk(uintptr_t address, uint8_t *into, size_t bytes)
{
    struct iovec local = { into, bytes };
    struct iovec remote = { (void *)address, bytes };
    atomic_fetch_add_explicit(&chunk_reads, 1, memory_order_relaxed);
    return syscall(SYS_process_vm_readv, own_pid, &local, 1, &remote, 1, 0) == (long)bytes ? 0 : -1;
}

// Copies the stack from start: a whole chunk, or, when the next page is not mapped (the top of the stack), the
// rest of start's page. Returns the end of what was copied; start itself when nothing could be.
static uintptr_t copy_stack(uintptr_t start, uint8_t *chunk)
{
    if (read_chunk(start, chunk, CHUNK_BYTES) == 0) {
        return start + CHUNK_BYTES;
    }

    size_t bytes = 4096 - (start & 4095);
    return bytes >= 16 && read_chunk(start, chunk, bytes) == 0 ? start + bytes : start;
}

// Whether a frame record (saved frame pointer, return address) at address, inside the chunk, starts a chain that
// goes up the stack for two more links, as far as the chunk shows.
static int plausible_record(const uint8_t *chunk, uintptr_t chunk_start, uintptr_t chunk_end, uintptr_t address)
{
    for (int link = 0; link < 3; link++) {
        if (address + 16 > chunk_end) {
            return link > 0; // left the copy after at least one good link
        }

        const uint64_t *pair = (const uint64_t *)(chunk + (address - chunk_start));
        uintptr_t next = (uintptr_t)pair[0];
        uintptr_t ret = (uintptr_t)pair[1];
        if (ret < 0x10000 || ret >= ((uintptr_t)1 << 47) || next <= address || (next & 7) != 0 || next - address > (1u << 20)) {
            return 0;
        }

        address = next;
    }

    return 1;
}

static void on_sample(int signal_number, siginfo_t *info, void *context)
{
    (void)signal_number;
    int saved_errno = errno;
    // Reserve a slot only when the ring has room, so every reserved slot gets committed and the reader never
    // waits on one that will not be.
    uint64_t index = atomic_load_explicit(&write_index, memory_order_relaxed);
    do {
        if (index - atomic_load_explicit(&read_index, memory_order_acquire) > ring_mask) {
            atomic_fetch_add_explicit(&lost, 1, memory_order_relaxed);
            errno = saved_errno;
            return;
        }
    } while (!atomic_compare_exchange_weak_explicit(&write_index, &index, index + 1, memory_order_acq_rel, memory_order_relaxed));

    struct sample *sample = &ring[index & ring_mask];
    ucontext_t *uc = (ucontext_t *)context;
#if defined(__x86_64__)
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.pc;
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.regs[29];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.sp;
#else
#error "x64 or arm64 only"
#endif
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    sample->tid = info->si_value.sival_int;
    sample->timestamp_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    int n = 0;
    sample->frames[n++] = ip;

    // The chain: at fp, the caller's fp then the return address; it must go up the stack from sp.
    uint8_t chunk[CHUNK_BYTES];
    uintptr_t chunk_start = 0, chunk_end = 0;
    uintptr_t previous = sp;

    // Code built without frame pointers (libc's system-call wrappers, where threads spend the CPU time of their
    // system calls) leaves the frame-pointer register useless. Then look up the stack from sp for the first
    // frame record that starts a plausible chain and walk on from it: that skips the frameless function's
    // direct caller but recovers the managed callers above it.
    int fp_plausible = fp >= sp && (fp & 7) == 0 && fp - sp < (1u << 20);
    if (fp_plausible) {
        // The copy at fp serves the walk below as well.
        chunk_start = fp & ~(uintptr_t)15;
        chunk_end = copy_stack(chunk_start, chunk);
        fp_plausible = chunk_end != chunk_start && plausible_record(chunk, chunk_start, chunk_end, fp);
    }

    if (!fp_plausible) {
        chunk_start = sp & ~(uintptr_t)7;
        chunk_end = copy_stack(chunk_start, chunk);
        fp = 0;
        for (uintptr_t address = chunk_start; address + 16 <= chunk_end; address += 8) {
            if (plausible_record(chunk, chunk_start, chunk_end, address)) {
                fp = address;
                atomic_fetch_add_explicit(&scanned, 1, memory_order_relaxed);
                break;
            }
        }
    }

    while (n < MAX_FRAMES && fp >= previous && (fp & 7) == 0 && fp - sp < (64u << 20)) {
        if (fp < chunk_start || fp + 16 > chunk_end) {
            chunk_start = fp & ~(uintptr_t)15;
            chunk_end = copy_stack(chunk_start, chunk);
            if (fp + 16 > chunk_end) {
                break; // nothing copied, or the page ended inside the record
            }
        }

        const uint64_t *pair = (const uint64_t *)(chunk + (fp - chunk_start));
        uintptr_t next = (uintptr_t)pair[0];
        uintptr_t ret = (uintptr_t)pair[1];
        if (ret == 0) {
            break;
        }

        sample->frames[n++] = ret;
        previous = fp + 16;
        fp = next;
    }

    sample->frame_count = n;
    atomic_store_explicit(&sample->committed, 1, memory_order_release);
    errno = saved_errno;
}

// Installs the handler and a ring of 2^ring_bits samples. 0 on success, else -errno.
int native_sampler_init(int ring_bits)
{
    own_pid = getpid();
    ring = calloc((size_t)1 << ring_bits, sizeof(struct sample));
    if (ring == NULL) {
        return -12;
    }

    ring_mask = ((uint32_t)1 << ring_bits) - 1;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sample;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    return sigaction(SIGPROF, &action, NULL) == 0 ? 0 : -errno;
}

// Arms a timer on thread tid's CPU clock firing every period_ns of its CPU time. Returns the timer id (>= 0) or -errno.
long native_sampler_arm(int tid, long period_ns)
{
    clockid_t clock = (clockid_t)((~(unsigned)tid << 3) | 6); // the thread's CPU clock (CPUCLOCK_SCHED | PERTHREAD)
    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGPROF;
    event.sigev_value.sival_int = tid;
    event._sigev_un._tid = tid;
    timer_t timer;
    if (timer_create(clock, &event, &timer) != 0) {
        return -errno;
    }

    struct itimerspec spec = { { period_ns / 1000000000, period_ns % 1000000000 }, { period_ns / 1000000000, period_ns % 1000000000 } };
    if (timer_settime(timer, 0, &spec, NULL) != 0) {
        int error = errno;
        timer_delete(timer);
        return -error;
    }

    return (long)(intptr_t)timer;
}

void native_sampler_disarm(long timer)
{
    timer_delete((timer_t)(intptr_t)timer);
}

// Copies complete samples, in order and while they fit in capacity int64s, as (tid, timestamp, frame count,
// frames...) records.
// Returns the number of int64s written. Single consumer.
int native_sampler_drain(int64_t *into, int capacity)
{
    int written = 0;
    uint64_t next = atomic_load_explicit(&read_index, memory_order_relaxed);
    while (next < atomic_load_explicit(&write_index, memory_order_acquire)) {
        struct sample *sample = &ring[next & ring_mask];
        if (atomic_load_explicit(&sample->committed, memory_order_acquire) == 0) {
            break; // reserved, still being written
        }

        int needed = 3 + sample->frame_count;
        if (written + needed > capacity) {
            break;
        }

        into[written++] = sample->tid;
        into[written++] = sample->timestamp_ns;
        into[written++] = sample->frame_count;
        for (int i = 0; i < sample->frame_count; i++) {
            into[written++] = (int64_t)sample->frames[i];
        }

        atomic_store_explicit(&sample->committed, 0, memory_order_relaxed);
        atomic_store_explicit(&read_index, ++next, memory_order_release);
    }

    return written;
}

uint64_t native_sampler_lost(void) { return atomic_load(&lost); }

uint64_t native_sampler_chunk_reads(void) { return atomic_load(&chunk_reads); }

uint64_t native_sampler_scanned(void) { return atomic_load(&scanned); }
