// Classes run in parallel; those touching process-wide state opt out with [DoNotParallelize].
[assembly: Parallelize(Scope = ExecutionScope.ClassLevel)]
