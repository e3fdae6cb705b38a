package ocireg

// #include <ocireg.h>
// extern void ociregGoLog(void *, ocireg_log_level, char *);
// static void ocireg_go_log(void *u, ocireg_log_level l, const char *m) { ociregGoLog(u, l, (char *)m); }
// static ocireg_log_cb ocireg_go_log_cb(void) { return ocireg_go_log; }
import "C"

import (
	"sync"
	"unsafe"
)

// LogLevel is how much a log message matters.
type LogLevel uint32

// The log levels, from the most to the least important.
const (
	LogError LogLevel = C.OCIREG_LOG_ERROR // a failure the call could not report otherwise (a caught panic)
	LogWarn  LogLevel = C.OCIREG_LOG_WARN  // something worth a look
	LogInfo  LogLevel = C.OCIREG_LOG_INFO  // milestones of an operation
	LogDebug LogLevel = C.OCIREG_LOG_DEBUG // one line per HTTP request: method, URL, status, time, retry
)

// String gives "error", "warn", "info" or "debug".
func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarn:
		return "warn"
	case LogInfo:
		return "info"
	case LogDebug:
		return "debug"
	}
	return "unknown"
}

var (
	loggerMu sync.RWMutex
	logger   func(LogLevel, string)
)

// SetLogger sends libocireg's diagnostics of every level to fn, for the
// whole process, until SetLogger is called again; nil turns logging off
// (the default: nothing is printed). fn is called from any goroutine and
// from the library's own threads, several at once: it must be safe for
// concurrent use and quick. A panic in fn is recovered and the message
// dropped. Messages never carry credentials: no header is ever logged,
// and URLs lose their userinfo and signed query values.
func SetLogger(fn func(level LogLevel, msg string)) error {
	loggerMu.Lock()
	logger = fn
	loggerMu.Unlock()
	cb := C.ocireg_go_log_cb()
	if fn == nil {
		cb = nil
	}
	return call("SetLogger", nil, func() C.ocireg_status {
		return C.ocireg_set_log_callback(C.OCIREG_LOG_DEBUG, cb, nil)
	})
}

// ociregGoLog is the ocireg_log_cb that hands messages to the logger.
//
//export ociregGoLog
func ociregGoLog(_ unsafe.Pointer, level C.ocireg_log_level, msg *C.char) {
	loggerMu.RLock()
	fn := logger
	loggerMu.RUnlock()
	if fn == nil {
		return
	}
	defer func() { _ = recover() }() // must not unwind into the library
	fn(LogLevel(level), C.GoString(msg))
}
