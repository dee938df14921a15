package rules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher reports changes to rule and list files. It watches the
// directories holding them rather than the files, because editors and
// Kubernetes replace files instead of writing them: an editor writes a new
// file and renames it over the old one, and a ConfigMap update swaps the
// ..data symlink its files point through. Any event in a watched directory
// counts; bursts (an editor's write, rename, chmod) are debounced into one
// notification, and the receiver decides whether the contents really
// changed (see Fingerprint).
type Watcher struct {
	fs       *fsnotify.Watcher
	debounce time.Duration
	maxWait  time.Duration

	mu      sync.Mutex
	dirs    []string
	ignored []string // absolute paths whose events do not count
}

// MaxWaitFactor bounds the debounce: a change is reported at the latest
// MaxWaitFactor × debounce after the first event of a burst, even while
// events keep coming (a busy log file beside the rules would otherwise
// hold every change back until it fell quiet).
const MaxWaitFactor = 4

// NewWatcher returns a Watcher that waits for debounce of quiet before it
// notifies, and never longer than MaxWaitFactor × debounce after the
// first event.
func NewWatcher(debounce time.Duration) (*Watcher, error) {
	fs, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return &Watcher{fs: fs, debounce: debounce, maxWait: MaxWaitFactor * debounce}, nil
}

// Ignore makes events about paths not count: files in a watched directory
// that the gateway itself writes, such as its decision log.
func (w *Watcher) Ignore(paths ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range paths {
		if abs, err := filepath.Abs(p); err == nil {
			w.ignored = append(w.ignored, abs)
		}
	}
}

func (w *Watcher) isIgnored(name string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.ignored) == 0 {
		return false
	}
	abs, err := filepath.Abs(name)
	return err == nil && slices.Contains(w.ignored, abs)
}

// Watch makes the watched directories those holding paths. A directory that
// cannot be watched (it does not exist yet) is reported, and the others are
// watched all the same.
func (w *Watcher) Watch(paths []string) error {
	want := make([]string, 0, len(paths))
	for _, p := range paths {
		d := filepath.Dir(p)
		if !slices.Contains(want, d) {
			want = append(want, d)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	var errs []error
	for _, d := range w.dirs {
		if !slices.Contains(want, d) {
			_ = w.fs.Remove(d) // fails harmlessly when d is gone already
		}
	}
	w.dirs = w.dirs[:0]
	for _, d := range want {
		// Adding a directory again is cheap and re-establishes the watch
		// when the directory was deleted and created anew.
		if err := w.fs.Add(d); err != nil {
			errs = append(errs, err)
			continue
		}
		w.dirs = append(w.dirs, d)
	}
	return errors.Join(errs...)
}

// Dirs returns the directories being watched.
func (w *Watcher) Dirs() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.dirs)
}

// Run calls onChange after every burst of changes until ctx is done, and
// onError for errors of the underlying watcher. It closes the Watcher when
// it returns.
func (w *Watcher) Run(ctx context.Context, onChange func(), onError func(error)) {
	defer w.fs.Close()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var first time.Time // of the burst being debounced; zero: none
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case ev, ok := <-w.fs.Events:
			if !ok {
				return
			}
			if w.isIgnored(ev.Name) {
				continue
			}
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			wait := w.debounce
			if left := w.maxWait - now.Sub(first); left < wait {
				wait = max(left, 0)
			}
			timer.Reset(wait)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return
			}
			onError(err)
		case <-timer.C:
			first = time.Time{}
			onChange()
		}
	}
}

// Fingerprint hashes the names and contents of files, so that a watcher's
// event can be told apart from a real change: an editor's swap file or a
// chmod in the same directory changes nothing. A file that cannot be read
// contributes its error, so deleting a file is a change too.
func Fingerprint(paths []string) string {
	h := sha256.New()
	for _, p := range paths {
		h.Write([]byte(p))
		h.Write([]byte{0})
		data, err := os.ReadFile(p)
		if err != nil {
			h.Write([]byte(err.Error()))
		} else {
			h.Write(data)
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
