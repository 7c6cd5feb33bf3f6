namespace OpenTelemetry.Profiling;

/// <summary>
/// Options of the profiler. A value set in code wins over the matching environment variable
/// (see <c>README.md</c> for the table); a value left unset falls back to the environment, then to the default.
/// </summary>
public sealed class ProfilingOptions
{
    private bool? enabled;
    private TimeSpan? exportInterval;
    private int? maxStacksPerInterval;
    private TimeSpan? samplingWindow;
    private double? samplingDutyCycle;
    private int? targetSamplesPerCpuSecond;
    private CpuSampler? cpuSampler;
    private bool? addPyroscopeProfileIdToSpans;
    private bool? wallTimeEnabled;
    private bool? allocationsEnabled;
    private bool? lockContentionEnabled;
    private bool? exceptionsEnabled;

    /// <summary>
    /// Gets or sets a value indicating whether profiling runs at all. Default: <see langword="true"/>.
    /// Environment: <c>OTEL_DOTNET_PROFILING_ENABLED</c>.
    /// </summary>
    public bool Enabled
    {
        get => this.enabled ?? true;
        set => this.enabled = value;
    }

    /// <summary>
    /// Gets or sets how often samples are aggregated into profiles and exported. Default: the sampling cycle
    /// (<see cref="SamplingWindow"/> ÷ <see cref="SamplingDutyCycle"/>, 10 seconds by default), at least
    /// 10 seconds and at most 10 minutes; 10 seconds when sampling is continuous. With the native sampler every
    /// profile has CPU samples and the wall windows keep a cycle of whole intervals of their own (about a minute).
    /// With the runtime's sampler each profile then holds a window's CPU and wall samples: an interval shorter
    /// than the cycle leaves some profiles without any (the profiler reports that as a warning, as it does with
    /// the native sampler when the duty cycle is set and the wall profile is on). Allowed: 1 second to 10 minutes.
    /// Environment: <c>OTEL_DOTNET_PROFILING_EXPORT_INTERVAL</c> (milliseconds).
    /// </summary>
    public TimeSpan ExportInterval
    {
        get => this.exportInterval ?? (this.IsSamplingContinuous ? DefaultExportInterval : Clamp(this.SamplingCycle, DefaultExportInterval, MaxExportInterval));
        set
        {
            if (value < MinExportInterval || value > MaxExportInterval)
            {
                throw new ArgumentOutOfRangeException(nameof(this.ExportInterval), value, $"{nameof(this.ExportInterval)} must be between {MinExportInterval} and {MaxExportInterval}.");
            }

            this.exportInterval = value;
        }
    }

    /// <summary>
    /// Gets or sets the most distinct stacks kept per export interval; samples with further new stacks are
    /// counted as dropped. Bounds the profiler's memory. Default: 20,000; allowed: 100 to 1,000,000.
    /// Environment: <c>OTEL_DOTNET_PROFILING_MAX_STACKS</c>.
    /// </summary>
    public int MaxStacksPerInterval
    {
        get => this.maxStacksPerInterval ?? DefaultMaxStacksPerInterval;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 100, nameof(this.MaxStacksPerInterval));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1_000_000, nameof(this.MaxStacksPerInterval));
            this.maxStacksPerInterval = value;
        }
    }

    /// <summary>
    /// Gets or sets how long a sampling window lasts at the full <see cref="SamplingDutyCycle"/>. The runtime
    /// samples every managed thread about once a millisecond while a window is open. One window opens per
    /// sampling cycle of <see cref="SamplingWindow"/> ÷ <see cref="SamplingDutyCycle"/> (10 seconds by default);
    /// the profiler makes the window shorter when it already reaches <see cref="TargetSamplesPerCpuSecond"/>
    /// and longer when the process leaves CPU headroom. Default: 1 second; allowed: 100 milliseconds to 1 minute.
    /// Environment: <c>OTEL_DOTNET_PROFILING_SAMPLING_WINDOW</c> (milliseconds).
    /// </summary>
    public TimeSpan SamplingWindow
    {
        get => this.samplingWindow ?? DefaultSamplingWindow;
        set
        {
            if (value < TimeSpan.FromMilliseconds(100) || value > TimeSpan.FromMinutes(1))
            {
                throw new ArgumentOutOfRangeException(nameof(this.SamplingWindow), value, $"{nameof(this.SamplingWindow)} must be between 100 ms and 1 minute.");
            }

            this.samplingWindow = value;
        }
    }

    /// <summary>
    /// Gets or sets the share of time sampling windows are open when the process keeps its CPUs busy: the
    /// overhead/resolution trade-off (see README). When the process leaves CPU headroom the windows grow, up to
    /// four times this share. 1 samples continuously. Left at its default (0.1), it is a ceiling: windows are
    /// shortened to what <see cref="TargetSamplesPerCpuSecond"/> needs. Set explicitly, it is used as is. When
    /// the runtime's own rate was lowered with <c>DOTNET_EventPipeThreadSamplingRate</c> the default is 1.
    /// Allowed: 0.01 to 1. Environment: <c>OTEL_DOTNET_PROFILING_SAMPLING_DUTY_CYCLE</c>.
    /// </summary>
    public double SamplingDutyCycle
    {
        get => this.samplingDutyCycle ?? DefaultSamplingDutyCycle;
        set
        {
            if (!(value >= 0.01 && value <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(this.SamplingDutyCycle), value, $"{nameof(this.SamplingDutyCycle)} must be between 0.01 and 1.");
            }

            this.samplingDutyCycle = value;
        }
    }

    /// <summary>
    /// Gets or sets how many CPU samples per CPU-second are taken. With CPU samples from the native sampler
    /// (<see cref="CpuSampler"/>) this is the rate itself: one sample per 1 ÷ this second of each thread's CPU
    /// time, all the time (0 means the default; the kernel's tick, usually 250 or 1000 a second, is the most it
    /// gives). With the runtime's sampler it is what the default duty cycle aims for, per user-mode CPU-second. After each window the profiler measures how many CPU samples a user-mode CPU-second gave and sizes
    /// the next window to reach this rate over the whole cycle, within 0.01 and <see cref="SamplingDutyCycle"/>
    /// (then raised when there is CPU headroom). Every sampling round walks every managed thread, so a process
    /// with many threads reaches the target with shorter windows, at a cost that stays about the same. Kernel
    /// time is left out of the rate: the runtime's sampler reports a thread in a system call as not running
    /// managed code, so sampling it buys no resolution. 0 turns this off (windows take the full duty cycle).
    /// The windows ignore it when <see cref="SamplingDutyCycle"/> is set (the native sampler does not). Default: 55; allowed: 0 to 10,000. Environment:
    /// <c>OTEL_DOTNET_PROFILING_TARGET_SAMPLES_PER_CPU_SECOND</c>.
    /// </summary>
    public int TargetSamplesPerCpuSecond
    {
        get => this.targetSamplesPerCpuSecond ?? DefaultTargetSamplesPerCpuSecond;
        set
        {
            if (value is < 0 or > 10_000)
            {
                throw new ArgumentOutOfRangeException(nameof(this.TargetSamplesPerCpuSecond), value, $"{nameof(this.TargetSamplesPerCpuSecond)} must be between 0 and 10,000.");
            }

            this.targetSamplesPerCpuSecond = value;
        }
    }

    /// <summary>
    /// Gets or sets where CPU samples come from. <see cref="Profiling.CpuSampler.Auto"/> (the default) uses the
    /// profiler's native sampler where it is available (Linux x64 and Arm64; its library is built with the project
    /// where gcc is installed): each thread gets a timer on its own CPU clock and is sampled after every
    /// 1 ÷ <see cref="TargetSamplesPerCpuSecond"/> second of its CPU time, all the time, without suspending the
    /// runtime. Elsewhere, or when the process's SIGPROF is already taken, it uses the runtime's sampler in the
    /// windows described at <see cref="SamplingDutyCycle"/>. With native CPU samples the runtime's sampler still
    /// runs for the wall-time profile, in one short window a minute (see <see cref="WallTimeEnabled"/>) unless
    /// <see cref="SamplingDutyCycle"/> is set.
    /// Environment: <c>OTEL_DOTNET_PROFILING_CPU_SAMPLER</c> (<c>auto</c>, <c>native</c> or <c>runtime</c>).
    /// </summary>
    public CpuSampler CpuSampler
    {
        get => this.cpuSampler ?? CpuSampler.Auto;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(this.CpuSampler), value, $"{nameof(this.CpuSampler)} must be Auto, Native or Runtime.");
            }

            this.cpuSampler = value;
        }
    }

    /// <summary>
    /// Gets or sets a value indicating whether spans that may have profile samples (every span with the native
    /// sampler; with the runtime's sampler, those during which a sampling window was open) get the attribute
    /// <c>pyroscope.profile.id</c> = their span id, which Grafana's trace-to-profile link looks for.
    /// Default: <see langword="false"/>.
    /// Environment: <c>OTEL_DOTNET_PROFILING_PYROSCOPE_PROFILE_ID</c>.
    /// </summary>
    public bool AddPyroscopeProfileIdToSpans
    {
        get => this.addPyroscopeProfileIdToSpans ?? false;
        set => this.addPyroscopeProfileIdToSpans = value;
    }

    /// <summary>
    /// Gets or sets a value indicating whether a wall-time profile is produced: every managed thread the runtime's
    /// sampler sees, running or waiting, so time a span spent blocked (I/O, locks, sleeps) shows in its flame
    /// graph. With CPU samples from the native sampler (<see cref="CpuSampler"/>) the runtime's sampler runs for this
    /// profile alone, in one window of 100 ms (a tenth of <see cref="SamplingWindow"/>) per wall cycle: the whole
    /// number of export intervals that first reaches a minute (one interval when the interval is longer). With CPU
    /// headroom the window grows up to four times. Not when <see cref="SamplingDutyCycle"/> is set (then the
    /// windows are the duty cycle's). Each wall profile covers the time since the previous window. Switched off,
    /// it does not run at all. Default: <see langword="true"/>.
    /// Environment: <c>OTEL_DOTNET_PROFILING_WALL_ENABLED</c>.
    /// </summary>
    public bool WallTimeEnabled
    {
        get => this.wallTimeEnabled ?? true;
        set => this.wallTimeEnabled = value;
    }

    /// <summary>
    /// Gets or sets a value indicating whether allocation profiles (bytes and objects, by stack and type) are
    /// produced from the runtime's allocation sampling (one event with a stack walk per ~100 KB allocated).
    /// Default: <see langword="false"/> (its cost grows with the allocation rate; see README).
    /// Environment: <c>OTEL_DOTNET_PROFILING_ALLOCATIONS_ENABLED</c>.
    /// </summary>
    public bool AllocationsEnabled
    {
        get => this.allocationsEnabled ?? false;
        set => this.allocationsEnabled = value;
    }

    /// <summary>
    /// Gets or sets a value indicating whether lock contention profiles (contentions and delay by waiting
    /// stack) are produced from the runtime's contention events. Default: <see langword="false"/>: while they are
    /// on, every contended lock costs the contending threads about 50-100 us of CPU (measured on 2 cores; see
    /// README), so the cost grows with the contention rate. Lock waits show in the
    /// wall-time profile without them. Environment: <c>OTEL_DOTNET_PROFILING_LOCK_CONTENTION_ENABLED</c>.
    /// </summary>
    public bool LockContentionEnabled
    {
        get => this.lockContentionEnabled ?? false;
        set => this.lockContentionEnabled = value;
    }

    /// <summary>
    /// Gets or sets a value indicating whether an exceptions profile (thrown exceptions by stack and type;
    /// never their messages) is produced. Default: <see langword="true"/>.
    /// Environment: <c>OTEL_DOTNET_PROFILING_EXCEPTIONS_ENABLED</c>.
    /// </summary>
    public bool ExceptionsEnabled
    {
        get => this.exceptionsEnabled ?? true;
        set => this.exceptionsEnabled = value;
    }

    internal bool IsWallTimeEnabledSet => this.wallTimeEnabled.HasValue;

    internal bool IsAllocationsEnabledSet => this.allocationsEnabled.HasValue;

    internal bool IsLockContentionEnabledSet => this.lockContentionEnabled.HasValue;

    internal bool IsExceptionsEnabledSet => this.exceptionsEnabled.HasValue;

    internal bool IsAddPyroscopeProfileIdToSpansSet => this.addPyroscopeProfileIdToSpans.HasValue;

    internal static TimeSpan DefaultSamplingWindow { get; } = TimeSpan.FromSeconds(1);

    internal static double DefaultSamplingDutyCycle => 0.1;

    internal bool IsSamplingWindowSet => this.samplingWindow.HasValue;

    internal bool IsSamplingDutyCycleSet => this.samplingDutyCycle.HasValue;

    internal static int DefaultTargetSamplesPerCpuSecond => 55;

    internal bool IsTargetSamplesPerCpuSecondSet => this.targetSamplesPerCpuSecond.HasValue;

    internal bool IsCpuSamplerSet => this.cpuSampler.HasValue;

    /// <summary>
    /// Gets the wall profile's window when CPU samples come from the native sampler and the duty cycle was not
    /// set: a tenth of <see cref="SamplingWindow"/> (100 ms by default), about 100 rounds of every thread.
    /// </summary>
    internal TimeSpan WallWindowWithNativeCpu => this.SamplingWindow / 10;

    /// <summary>
    /// Gets the wall profile's cycle when CPU samples come from the native sampler and the duty cycle was not
    /// set: the whole number of export intervals that first reaches a minute (one interval when it is longer), so
    /// each window falls halfway through an interval. About 0.17 % of the time sampled by default: the
    /// runtime's sampler suspends the process every millisecond while it runs.
    /// </summary>
    internal TimeSpan WallCycleWithNativeCpu => this.ExportInterval * Math.Max(1, Math.Ceiling(WallCycleTarget / this.ExportInterval));

    private static TimeSpan WallCycleTarget { get; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets the native sampler's rate: the target, or its default when the target was set to 0.</summary>
    internal int NativeSamplesPerCpuSecond => this.TargetSamplesPerCpuSecond > 0 ? this.TargetSamplesPerCpuSecond : DefaultTargetSamplesPerCpuSecond;

    /// <summary>Gets the target the scheduler steers the duty cycle by, or 0 when the duty cycle is fixed.</summary>
    internal int EffectiveTargetSamplesPerCpuSecond => this.IsSamplingDutyCycleSet ? 0 : this.TargetSamplesPerCpuSecond;

    /// <summary>Gets the shortest default export interval, and the default when sampling is continuous.</summary>
    internal static TimeSpan DefaultExportInterval { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the length of a sampling cycle: one window opens per cycle.</summary>
    internal TimeSpan SamplingCycle => this.SamplingWindow / this.SamplingDutyCycle;

    /// <summary>Gets a value indicating whether the sampler stays on (no windows, so no cycle to fit exports to).</summary>
    internal bool IsSamplingContinuous => this.SamplingDutyCycle >= 1;

    /// <summary>Gets a value indicating whether some export intervals can fall between sampling windows.</summary>
    internal bool ExportIntervalShorterThanCycle => !this.IsSamplingContinuous && this.ExportInterval < this.SamplingCycle;

    internal static TimeSpan MinExportInterval { get; } = TimeSpan.FromSeconds(1);

    internal static TimeSpan MaxExportInterval { get; } = TimeSpan.FromMinutes(10);

    internal static int DefaultMaxStacksPerInterval => 20_000;

    internal bool IsEnabledSet => this.enabled.HasValue;

    internal bool IsExportIntervalSet => this.exportInterval.HasValue;

    internal bool IsMaxStacksSet => this.maxStacksPerInterval.HasValue;

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) => value < min ? min : value > max ? max : value;
}
