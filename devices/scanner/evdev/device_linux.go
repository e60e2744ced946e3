package evdev

import (
	"bytes"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioctl request numbers of linux/input.h: _IOW('E', 0x90, int), _IOC(_IOC_READ, 'E', 0x06, len),
// _IOC(_IOC_READ, 'E', 0x20 + ev, len).
const (
	eviocgrab = 0x40044590
)

func eviocgname(n int) uint    { return 2<<30 | uint(n)<<16 | 'E'<<8 | 0x06 }
func eviocgbit(ev, n int) uint { return 2<<30 | uint(n)<<16 | 'E'<<8 | uint(0x20+ev) }

// openDevice opens an input device node, checks that it sends key events, and grabs it.
func openDevice(path string, grab bool) (*os.File, string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, "", err
	}
	var name string
	var ioErr error
	rc, err := f.SyscallConn()
	if err == nil {
		err = rc.Control(func(fd uintptr) {
			nb := make([]byte, 256)
			if n, err := ioctlBuf(fd, eviocgname(len(nb)), nb); err == nil {
				name = string(bytes.TrimRight(nb[:n], "\x00"))
			}
			bits := make([]byte, 4)
			if _, err := ioctlBuf(fd, eviocgbit(0, len(bits)), bits); err != nil {
				ioErr = fmt.Errorf("%s: not an input event device (%w): use a /dev/input/event* node", path, err)
				return
			}
			if bits[0]&(1<<EvKey) == 0 {
				ioErr = fmt.Errorf("%s: %q sends no key events: pick the scanner's ...-event-kbd node", path, name)
				return
			}
			if grab {
				if err := unix.IoctlSetInt(int(fd), eviocgrab, 1); err != nil {
					ioErr = fmt.Errorf("%s: grab (EVIOCGRAB): %w", path, err)
				}
			}
		})
	}
	if err == nil {
		err = ioErr
	}
	if err != nil {
		f.Close()
		return nil, "", err
	}
	return f, name, nil
}

func ioctlBuf(fd uintptr, req uint, b []byte) (int, error) {
	n, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
