"""Heron's built-in stack-trace rules (applied before a project's own rules).

Written as data: each entry is a tuple of ``key:glob`` matchers plus the actions
to take.  Categories are assigned first (in table order), then the in-app and
grouping flags, so the flag rules at the end see the final categories.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from heron.grouping.enhancements import Enhancements, parse_action
from heron.grouping.ruletext import Token
from heron.grouping.stackrules import FlagAction, Matcher, StackRule, VarAction

# -- third-party code: never the user's own frames ---------------------------------

_VENDORED_PATHS: Final = (
    "**/site-packages/**",  # Python (pip)
    "**/dist-packages/**",  # Python (Debian)
    "**/node_modules/**",  # npm
    "**/vendor/**",  # Composer, Bundler, Go vendoring
    "**/go/pkg/mod/**",  # Go module cache
)
_JS_CDNS: Final = ("unpkg.com", "cdnjs.cloudflare.com", "cdn.jsdelivr.net", "esm.run")
# Compiler helpers and polyfills: identical in every app, so not part of the identity.
_JS_POLYFILL_MODULES: Final = ("@babel/**", "core-js/**", "regenerator-runtime/**", "tslib/**")
_JS_SCHEDULER_FUNCTIONS: Final = (
    "runMicrotasks",
    "queueMicrotask",
    "processTicksAndRejections",
    "runNextTicks",
    "nextTick",
)
_JVM_FRAMEWORKS: Final = (
    "sun", "com.sun", "jdk", "akka", "scala", "feign", "oauth", "reactor.core",
    "com.fasterxml", "com.microsoft", "io.opentelemetry", "org.apache", "org.glassfish",
    "org.jboss", "org.jdesktop", "org.postgresql", "org.springframework", "org.web3j",
)  # fmt: skip
_JVM_OUT_OF_APP: Final = ("kotlin", "kotlinx", "io.ktor", "io.netty")

# -- native frame categories -------------------------------------------------------

_NATIVE_SYSTEM_PACKAGES: Final = (
    "/usr/lib/**", "/System/Library/**", "/system/**", "C:/Windows/**",
    "libsystem*", "libobjc*", "libdispatch.dylib", "libc.so*", "libc++*",
    "CoreFoundation", "Foundation", "CFNetwork", "IOKit", "QuartzCore",
)  # fmt: skip
_NATIVE_UI_PACKAGES: Final = (
    "UIKit", "UIKitCore", "SwiftUI", "AttributeGraph", "GraphicsServices", "CoreAutoLayout",
)  # fmt: skip
_THREAD_ENTRY_FUNCTIONS: Final = (
    "UIApplicationMain", "wWinMain", "invoke_main", "BaseThreadInitThunk", "RtlUserThreadStart",
    "thread_start", "_pthread_start", "__pthread_start", "_pthread_body", "start_wqthread",
    "_pthread_wqthread", "_dispatch_worker_thread2", "boost::*::thread_proxy",
)  # fmt: skip
_THREAD_START_PACKAGES: Final = ("libdyld.dylib", "/usr/lib/system/**")
_ABORT_FUNCTIONS: Final = (
    "abort", "raise", "std::terminate", "__cxa_throw", "_CxxThrowException", "RaiseException",
    "objc_exception_throw", "_CFThrowFormattedException",
)  # fmt: skip
_SIGNAL_HANDLERS: Final = ("_sigtramp", "RtlpExecuteHandlerForException")
_PANIC_ENTRY_FUNCTIONS: Final = (
    "std::panicking::begin_panic", "core::panicking::begin_panic", "__assert_rtn", "_NSRaiseError",
)  # fmt: skip
_CRASH_REPORTER_FUNCTIONS: Final = ("kscm_*", "kscrash_*", "sentrycrashcm_*", "*sentrycrash_*")

_Entry = tuple[tuple[str, ...], str]


def _table() -> list[_Entry]:
    rows: list[_Entry] = []
    rows += [((f"path:{p}",), "-app") for p in _VENDORED_PATHS]
    rows += [((f"path:**https://{host}/**",), "-app") for host in _JS_CDNS]
    rows += [(("module:unpkg/**",), "-app")]
    rows += [((f"module:{m}",), "-app -group") for m in _JS_POLYFILL_MODULES]
    rows += [((f"function:{f}",), "-app -group") for f in _JS_SCHEDULER_FUNCTIONS]
    rows += [(("family:javascript", "function:_callSuper"), "-app -group")]
    rows += [((f"module:{m}.*",), "-app") for m in (*_JVM_FRAMEWORKS, *_JVM_OUT_OF_APP)]
    rows += [(("module:io.sentry.*",), "-app -group")]
    rows += [(("module:java.lang.reflect.*",), "category=indirection")]
    # Native: what kind of code is this frame?
    rows += [
        (("family:native", f"package:{p}"), "category=system") for p in _NATIVE_SYSTEM_PACKAGES
    ]
    rows += [(("family:native", f"package:{p}"), "category=ui") for p in _NATIVE_UI_PACKAGES]
    # Inside a run of UI or system frames only the outermost one says something.
    rows += [(("[", "category:ui", "]", "|", "category:ui"), "category=internals")]
    rows += [(("[", "category:system", "]", "|", "category:system"), "category=internals")]
    rows += [
        (("family:native", f"package:{p}", "function:start"), "category=threadbase")
        for p in _THREAD_START_PACKAGES
    ]
    rows += [
        (("family:native", f"function:{f}"), "category=threadbase") for f in _THREAD_ENTRY_FUNCTIONS
    ]
    rows += [(("module:android.os.Looper", "function:loop"), "category=threadbase")]
    rows += [(("module:android.app.ActivityThread", "function:main"), "category=threadbase")]
    rows += [(("family:native", f"function:{f}"), "category=throw") for f in _ABORT_FUNCTIONS]
    rows += [(("[", "category:throw", "]", "|", "category:throw"), "category=internals")]
    rows += [(("family:native", f"function:{f}"), "category=handler") for f in _SIGNAL_HANDLERS]
    rows += [(("family:native", "function:*::operator()*"), "category=indirection")]
    # Flags, now that categories are final.
    rows += [
        (("family:native", f"function:{f}"), "^-group -group ^-app -app")
        for f in _PANIC_ENTRY_FUNCTIONS
    ]
    rows += [(("family:native", f"function:{f}"), "-app -group") for f in _CRASH_REPORTER_FUNCTIONS]
    rows += [
        (("category:system",), "-app"),
        (("category:throw",), "^-group"),
        (("category:handler",), "^-group -group"),
        (("category:threadbase",), "-group v-group"),
        (("category:indirection",), "-group"),
        (("category:internals",), "-group"),
    ]
    return rows


def _build(entries: Iterable[_Entry]) -> tuple[StackRule, ...]:
    rules = []
    for lineno, (spec, actions) in enumerate(entries, start=1):
        caller: list[Matcher] = []
        frame: list[Matcher] = []
        target = frame
        for part in spec:
            if part in ("[", "]", "|"):
                target = caller if part == "[" else frame
                continue
            key, _, pattern = part.partition(":")
            negated = key.startswith("!")
            target.append(Matcher.build(key.removeprefix("!"), pattern, negated))
        parsed = [
            parse_action(Token(a, a, a.find("="), False), lineno, actions) for a in actions.split()
        ]
        rules.append(
            StackRule(
                frame_matchers=tuple(frame),
                caller=tuple(caller),
                flags=tuple(a for a in parsed if isinstance(a, FlagAction)),
                variables=tuple(a for a in parsed if isinstance(a, VarAction)),
            )
        )
    return tuple(rules)


BUILTIN_ENHANCEMENTS: Final = Enhancements(_build(_table()))
