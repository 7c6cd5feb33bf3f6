// The native CPU sampler (Linux x64 and Arm64), driven by NativeCpuSampler.cs.
//
// Every thread of the process gets a POSIX timer on its own CPU clock, delivered to that thread as SIGPROF. The
// kernel checks CPU timers at its tick, so a thread is interrupted only while it runs, idle threads cost nothing
// and a context switch costs nothing extra. The handler records the interrupted registers, copies the top of the
// stack (where the managed side puts back the callers of x64 methods without a frame pointer), follows the
// frame-pointer chain and appends the sample to a ring that one managed thread drains. Memory is read with
// process_vm_readv on this process, so a bad address gives EFAULT instead of a fault. Where the frame-pointer
// register starts no plausible chain (libc has no frame pointers), the handler scans up from the stack pointer
// for the first frame record that does and walks on from there. Beside each record whose link appears again in a
// slot above it (the record of a method's on-stack-replacement version repeats the link of the tier-0 frame it
// runs on, whose record holds the return into the caller the chain skips), it notes that slot's return address
// for the managed side (FrameRepair), which knows which code is such a version. The handler takes no lock,
// allocates nothing and keeps errno, so it is safe wherever the thread stopped.
//
// Built by the project (OpenTelemetry.Profiling.csproj) with:
//   gcc -O2 -g -Wall -Wextra -shared -fPIC -fno-omit-frame-pointer -o libotelprof_sampler.so otelprof_sampler.c
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "x64 or arm64 only"
#endif

// glibc before 2.35 names the target thread of SIGEV_THREAD_ID only through its union; musl has the macro.
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define MAX_FRAMES 128
#define STACK_COPY_BYTES 4096
#define CHUNK_BYTES 4096
#define MAX_BRIDGES 4

// One sample as the managed side reads it (NativeSamplerInterop.Sample has the same layout).
struct sample {
    int32_t tid;
    int32_t frame_count;
    int64_t timestamp_ns;   // CLOCK_MONOTONIC, the clock of .NET's Stopwatch on Linux
    uint64_t ip;
    uint64_t sp;
    uint64_t fp;            // the frame record the walk started from (after a scan, the one found), or 0
    uint32_t stack_bytes;   // bytes of the stack copied from sp
    uint16_t scanned;       // 1 when the walk started from a scanned-for record
    uint16_t overrun;       // periods that expired before this signal was delivered, beyond the first
    // Records whose link appears again in a slot above them, below the record it points to: the record of a
    // method's on-stack-replacement version repeats the link of the frame it runs on top of, and that frame's
    // record holds the return into the caller. frames[bridge_frames[i]] (a leftover address into the version
    // it left) may be replaced by bridge_returns[i]; the managed side decides, knowing which code is which.
    uint16_t bridges;
    uint16_t bridge_frames[MAX_BRIDGES];
    uint16_t reserved[3];
    uint64_t bridge_returns[MAX_BRIDGES];
    uint64_t frames[MAX_FRAMES]; // leaf first: ip, then return addresses
    uint8_t stack[STACK_COPY_BYTES];
};

struct slot {
    _Atomic uint64_t sequence; // index + 1 once the sample at index is complete
    struct sample sample;
    uint8_t scratch[CHUNK_BYTES]; // the handler's buffer for frame records above the stack copy (not read out)
};

static struct slot *ring;
static uint32_t ring_mask;
static _Atomic uint64_t write_index;
static _Atomic uint64_t read_index;
static _Atomic uint64_t lost;
static _Atomic int enabled;
static _Atomic int owned;
static _Atomic int in_handler; // handlers past their check of enabled, not yet done
static pid_t own_pid;

static int read_memory(uintptr_t address, uint8_t *into, size_t bytes)
{
    struct iovec local = { into, bytes };
    struct iovec remote = { (void *)address, bytes };
    return syscall(SYS_process_vm_readv, own_pid, &local, 1, &remote, 1, 0) == (long)bytes ? 0 : -1;
}

// Copies up to bytes of the stack from start, or, when that runs into an unmapped page (the top of the stack),
// the rest of start's page. Returns how many bytes were copied.
static size_t copy_stack(uintptr_t start, uint8_t *into, size_t bytes)
{
    if (read_memory(start, into, bytes) == 0) {
        return bytes;
    }

    size_t page_rest = 4096 - (start & 4095);
    if (page_rest < bytes && page_rest >= 16 && read_memory(start, into, page_rest) == 0) {
        return page_rest;
    }

    return 0;
}

// Whether a frame record (saved frame pointer, return address) at address starts a chain that goes up the stack
// for two more links, as far as the copy [copy_start, copy_end) shows.
static int plausible_record(const uint8_t *copy, uintptr_t copy_start, uintptr_t copy_end, uintptr_t address)
{
    for (int link = 0; link < 3; link++) {
        if (address < copy_start || address + 16 > copy_end) {
            return link > 0; // left the copy after at least one good link
        }

        const uint64_t *pair = (const uint64_t *)(copy + (address - copy_start));
        uintptr_t next = (uintptr_t)pair[0];
        uintptr_t ret = (uintptr_t)pair[1];
        if (ret < 0x10000 || ret >= ((uintptr_t)1 << 48) || next <= address || (next & 7) != 0 || next - address > (1u << 20)) {
            return 0;
        }

        address = next;
    }

    return 1;
}

// Looks above the frame record at record (in a copy [copy_start, copy_end)) for a slot holding the record's link
// again, below the record the link points to: the record of the frame an on-stack-replacement version runs on
// top of. Returns the return address beside that slot, or 0 when there is none in the copy.
static uint64_t bridge_return(const uint8_t *copy, uintptr_t copy_start, uintptr_t copy_end, uintptr_t record, uintptr_t link)
{
    if (link - record > CHUNK_BYTES) {
        return 0;
    }

    for (uintptr_t slot = record + 16; slot + 16 <= link && slot + 16 <= copy_end; slot += 8) {
        const uint64_t *pair = (const uint64_t *)(copy + (slot - copy_start));
        if (pair[0] == link) {
            return pair[1];
        }
    }

    return 0;
}

static void take_sample(siginfo_t *info, void *context);

static void on_sample(int signal_number, siginfo_t *info, void *context)
{
    (void)signal_number;
    if (info->si_code != SI_TIMER) {
        return;
    }

    // Counted in before enabled is read, so a release that clears enabled and then waits for the count to
    // drop to zero knows no handler of its owner still writes into the ring.
    atomic_fetch_add_explicit(&in_handler, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&enabled, memory_order_seq_cst)) {
        int saved_errno = errno;
        take_sample(info, context);
        errno = saved_errno;
    }

    atomic_fetch_sub_explicit(&in_handler, 1, memory_order_release);
}

static void take_sample(siginfo_t *info, void *context)
{

    // Reserve a slot only when the ring has room, so the reader never passes over a slot still being written.
    uint64_t index = atomic_load_explicit(&write_index, memory_order_relaxed);
    do {
        if (index - atomic_load_explicit(&read_index, memory_order_acquire) > ring_mask) {
            atomic_fetch_add_explicit(&lost, 1, memory_order_relaxed);
            return;
        }
    } while (!atomic_compare_exchange_weak_explicit(&write_index, &index, index + 1, memory_order_acq_rel, memory_order_relaxed));

    struct slot *slot = &ring[index & ring_mask];
    struct sample *sample = &slot->sample;
    ucontext_t *uc = (ucontext_t *)context;
#if defined(__x86_64__)
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#else
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.pc;
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.regs[29];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.sp;
#endif
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    sample->tid = info->si_value.sival_int;
    sample->timestamp_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    sample->ip = ip;
    sample->sp = sp;
    sample->scanned = 0;
    sample->bridges = 0;
    sample->overrun = info->si_overrun < 0 ? 0 : info->si_overrun > 65535 ? 65535 : (uint16_t)info->si_overrun;

    // The top of the stack, from sp: the managed side reads frameless methods' return addresses from it, and the
    // walk below reads frame records from it while they are inside.
    uintptr_t copy_start = sp & ~(uintptr_t)7;
    sample->stack_bytes = (uint32_t)copy_stack(copy_start, sample->stack, STACK_COPY_BYTES);
    uintptr_t copy_end = copy_start + sample->stack_bytes;
    sample->sp = copy_start;

    // A second buffer for frame records above the copy, in the slot: the handler runs on the interrupted
    // thread's stack (which may be deep in recursion) and keeps its own use of it to a few hundred bytes.
    uint8_t *chunk = slot->scratch;
    uintptr_t chunk_start = 0, chunk_end = 0;

    int fp_plausible = fp >= sp && (fp & 7) == 0 && fp - sp < (1u << 20);
    if (fp_plausible && (fp < copy_start || fp + 16 > copy_end)) {
        chunk_start = fp & ~(uintptr_t)15;
        chunk_end = chunk_start + copy_stack(chunk_start, chunk, CHUNK_BYTES);
        fp_plausible = plausible_record(chunk, chunk_start, chunk_end, fp);
    } else if (fp_plausible) {
        fp_plausible = plausible_record(sample->stack, copy_start, copy_end, fp);
    }

    if (!fp_plausible) {
        // Code built without frame pointers (libc, where threads spend the CPU time of their system calls)
        // leaves the register useless: look up the stack for the first record that starts a plausible chain.
        // That skips the frameless function's direct caller but recovers the callers above it.
        fp = 0;
        for (uintptr_t address = copy_start; address + 16 <= copy_end; address += 8) {
            if (plausible_record(sample->stack, copy_start, copy_end, address)) {
                fp = address;
                sample->scanned = 1;
                break;
            }
        }
    }

    sample->fp = fp;
    int n = 0;
    sample->frames[n++] = ip;
    uintptr_t previous = sp;
    while (n < MAX_FRAMES && fp != 0 && fp >= previous && (fp & 7) == 0 && fp - sp < (64u << 20)) {
        const uint64_t *pair;
        const uint8_t *copy;
        uintptr_t start, end;
        if (fp >= copy_start && fp + 16 <= copy_end) {
            pair = (const uint64_t *)(sample->stack + (fp - copy_start));
            copy = sample->stack;
            start = copy_start;
            end = copy_end;
        } else {
            if (fp < chunk_start || fp + 16 > chunk_end) {
                chunk_start = fp & ~(uintptr_t)15;
                chunk_end = chunk_start + copy_stack(chunk_start, chunk, CHUNK_BYTES);
                if (fp + 16 > chunk_end) {
                    break; // nothing copied, or the copy ended inside the record
                }
            }

            pair = (const uint64_t *)(chunk + (fp - chunk_start));
            copy = chunk;
            start = chunk_start;
            end = chunk_end;
        }

        uintptr_t next = (uintptr_t)pair[0];
        uintptr_t ret = (uintptr_t)pair[1];
        if (ret == 0) {
            break;
        }

        if (sample->bridges < MAX_BRIDGES && next > fp) {
            uint64_t bridge = bridge_return(copy, start, end, fp, next);
            if (bridge != 0) {
                sample->bridge_frames[sample->bridges] = (uint16_t)n;
                sample->bridge_returns[sample->bridges] = bridge;
                sample->bridges++;
            }
        }

        sample->frames[n++] = ret;
        previous = fp + 16;
        fp = next;
    }

    sample->frame_count = n;
    atomic_store_explicit(&slot->sequence, index + 1, memory_order_release);
}

// The size of a sample: the managed side checks its own layout against it before anything else.
int otelprof_sampler_sample_size(void)
{
    return (int)sizeof(struct sample);
}

// Whether SIGPROF is free for us: our handler, or the default or ignore disposition.
static int sigprof_is_ours_or_free(int *error)
{
    struct sigaction current;
    if (sigaction(SIGPROF, NULL, &current) != 0) {
        *error = errno;
        return 0;
    }

    *error = EBUSY;
    return (current.sa_flags & SA_SIGINFO) ? current.sa_sigaction == on_sample : (current.sa_handler == SIG_DFL || current.sa_handler == SIG_IGN);
}

// Takes the sampler for one profiler at a time: the first time, allocates the ring of 2^ring_bits samples (the
// size stays for the life of the process) and installs the SIGPROF handler; every time, checks that SIGPROF is
// still ours and that this process may read its own memory with process_vm_readv (a seccomp filter or a
// sandbox can refuse it, and every walk would then stop at its leaf), and skips what earlier owners left.
// Returns 0, or -EBUSY when another profiler in this process has it or SIGPROF has someone else's handler, or
// another -errno.
int otelprof_sampler_acquire(int ring_bits)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&owned, &expected, 1)) {
        return -EBUSY;
    }

    int error = 0;
    if (!sigprof_is_ours_or_free(&error)) {
        atomic_store(&owned, 0);
        return -error;
    }

    own_pid = getpid();
    uint64_t probe = 0x5a5a5a5a5a5a5a5aULL, copy = 0;
    if (read_memory((uintptr_t)&probe, (uint8_t *)&copy, sizeof copy) != 0 || copy != probe) {
        error = errno != 0 ? errno : EPERM;
        atomic_store(&owned, 0);
        return -error;
    }

    if (ring == NULL) {
        if (ring_bits < 4 || ring_bits > 16) {
            atomic_store(&owned, 0);
            return -EINVAL;
        }

        struct slot *slots = calloc((size_t)1 << ring_bits, sizeof(struct slot));
        if (slots == NULL) {
            atomic_store(&owned, 0);
            return -ENOMEM;
        }

        ring_mask = ((uint32_t)1 << ring_bits) - 1;
        ring = slots;

        // The handler stays installed for the life of the process: a timer signal still pending when its
        // profiler stops must not meet SIGPROF's default action, which ends the process. Not SA_ONSTACK: the
        // runtime's alternate signal stacks are sized for its own handlers (a run with it crashed).
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_sigaction = on_sample;
        action.sa_flags = SA_SIGINFO | SA_RESTART;
        sigemptyset(&action.sa_mask);
        if (sigaction(SIGPROF, &action, NULL) != 0) {
            error = errno;
            ring = NULL;
            free(slots);
            atomic_store(&owned, 0);
            return -error;
        }
    }

    atomic_store(&read_index, atomic_load(&write_index));
    atomic_store(&lost, 0);
    atomic_store_explicit(&enabled, 1, memory_order_seq_cst);
    return 0;
}

// Stops taking samples (timers must be disarmed first), waits for handlers still writing (they take
// microseconds), and lets another profiler acquire the sampler.
void otelprof_sampler_release(void)
{
    atomic_store_explicit(&enabled, 0, memory_order_seq_cst);
    while (atomic_load_explicit(&in_handler, memory_order_seq_cst) != 0) {
        struct timespec pause = { 0, 100000 };
        nanosleep(&pause, NULL);
    }

    atomic_store(&owned, 0);
}

// Arms a timer on thread tid's CPU clock that fires after every period_ns of its CPU time. Returns the timer
// (>= 0) or -errno (-ESRCH: the thread has ended, -EAGAIN: the process's timer limit).
long otelprof_sampler_arm(int tid, long period_ns)
{
    clockid_t clock = (clockid_t)((~(unsigned)tid << 3) | 6); // the thread's CPU clock (CPUCLOCK_SCHED | PERTHREAD)
    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGPROF;
    event.sigev_value.sival_int = tid;
    event.sigev_notify_thread_id = tid;
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

void otelprof_sampler_disarm(long timer)
{
    timer_delete((timer_t)(intptr_t)timer);
}

// Copies the next complete sample into *into. Returns 1, or 0 when there is none (yet). One reader at a time.
int otelprof_sampler_next(struct sample *into)
{
    uint64_t next = atomic_load_explicit(&read_index, memory_order_relaxed);
    if (next == atomic_load_explicit(&write_index, memory_order_acquire)) {
        return 0;
    }

    struct slot *slot = &ring[next & ring_mask];
    if (atomic_load_explicit(&slot->sequence, memory_order_acquire) != next + 1) {
        return 0; // reserved, still being written
    }

    size_t head = offsetof(struct sample, frames) + (size_t)slot->sample.frame_count * sizeof(uint64_t);
    memcpy(into, &slot->sample, head);
    into->stack_bytes = slot->sample.stack_bytes;
    memcpy(into->stack, slot->sample.stack, slot->sample.stack_bytes);
    atomic_store_explicit(&read_index, next + 1, memory_order_release);
    return 1;
}

// Reads bytes of this process's memory (code, for the managed side's prologue decoding): 0, or -1 when any of
// them is not readable.
int otelprof_sampler_read(uint64_t address, uint8_t *into, int bytes)
{
    if (own_pid == 0) {
        own_pid = getpid();
    }

    return bytes > 0 ? read_memory((uintptr_t)address, into, (size_t)bytes) : -1;
}

// Samples not taken because the ring was full, since the sampler was acquired.
uint64_t otelprof_sampler_lost(void)
{
    return atomic_load(&lost);
}
