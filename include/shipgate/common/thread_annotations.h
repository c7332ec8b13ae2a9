// Clang thread-safety annotations (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html).
// Under clang with -Wthread-safety the compiler checks that every GUARDED_BY member is touched
// only with its mutex held and that REQUIRES preconditions hold at each call; under other
// compilers the macros expand to nothing. Use them with shipgate::Mutex (common/mutex.h):
// libstdc++'s std::mutex carries no capability attribute, so annotations on it check nothing.
#pragma once

#if defined(__clang__)
#define SHIPGATE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SHIPGATE_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) SHIPGATE_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY SHIPGATE_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) SHIPGATE_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) SHIPGATE_THREAD_ANNOTATION(pt_guarded_by(x))
#define ACQUIRED_BEFORE(...) SHIPGATE_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) SHIPGATE_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define REQUIRES(...) SHIPGATE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) SHIPGATE_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ACQUIRE(...) SHIPGATE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) SHIPGATE_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#define RELEASE(...) SHIPGATE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) SHIPGATE_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) SHIPGATE_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define EXCLUDES(...) SHIPGATE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) SHIPGATE_THREAD_ANNOTATION(assert_capability(x))
#define RETURN_CAPABILITY(x) SHIPGATE_THREAD_ANNOTATION(lock_returned(x))
#define NO_THREAD_SAFETY_ANALYSIS SHIPGATE_THREAD_ANNOTATION(no_thread_safety_analysis)
