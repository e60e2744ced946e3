package evdev

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/stationd/stationd/devices"
	"github.com/stationd/stationd/devices/scanner"
)

// uinput ioctls (linux/uinput.h).
const (
	uiSetEvBit   = 0x40045564 // _IOW('U', 100, int)
	uiSetKeyBit  = 0x40045565 // _IOW('U', 101, int)
	uiDevSetup   = 0x405c5503 // _IOW('U', 3, struct uinput_setup), 92 bytes
	uiDevCreate  = 0x5501     // _IO('U', 1)
	uiDevDestroy = 0x5502     // _IO('U', 2)
)

func uiGetSysname(n int) uintptr { return 2<<30 | uintptr(n)<<16 | 'U'<<8 | 44 }

// virtualKeyboard is a keyboard created through /dev/uinput: the kernel sees a real input
// device, with a /dev/input/eventN node that the driver opens and grabs.
type virtualKeyboard struct {
	fd   int
	node string
}

func newVirtualKeyboard(t *testing.T) *virtualKeyboard {
	t.Helper()
	fd, err := unix.Open("/dev/uinput", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("uinput integration test skipped: cannot open /dev/uinput (%v): it needs the uinput kernel module (modprobe uinput) and write access to /dev/uinput (root or a udev rule)", err)
	}
	ioctl := func(req, arg uintptr) {
		t.Helper()
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), req, arg); errno != 0 {
			unix.Close(fd)
			t.Skipf("uinput integration test skipped: ioctl %#x: %v", req, errno)
		}
	}
	ioctl(uiSetEvBit, EvKey)
	ioctl(uiSetEvBit, EvSyn)
	ioctl(uiSetEvBit, EvMsc)
	for k := uintptr(1); k < 128; k++ {
		ioctl(uiSetKeyBit, k)
	}
	var setup [92]byte
	copy(setup[0:], []byte{0x03, 0, 0x34, 0x12, 0x78, 0x56, 1, 0}) // BUS_USB, vendor 0x1234, product 0x5678, version 1 (little-endian)
	copy(setup[8:], "stationd test scanner")
	ioctl(uiDevSetup, uintptr(unsafe.Pointer(&setup[0])))
	ioctl(uiDevCreate, 0)
	var name [64]byte
	ioctl(uiGetSysname(len(name)), uintptr(unsafe.Pointer(&name[0])))
	sys := string(bytes.TrimRight(name[:], "\x00"))
	// The event node appears under /sys at once and in /dev when devtmpfs or udev has made it.
	var node string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		m, _ := filepath.Glob("/sys/devices/virtual/input/" + sys + "/event*")
		if len(m) == 1 {
			if n := "/dev/input/" + filepath.Base(m[0]); fileExists(n) {
				node = n
				break
			}
		}
	}
	if node == "" {
		unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uiDevDestroy, 0)
		unix.Close(fd)
		t.Skipf("uinput integration test skipped: no /dev/input node appeared for %s (no devtmpfs or udev here)", sys)
	}
	v := &virtualKeyboard{fd: fd, node: node}
	t.Cleanup(v.destroy)
	return v
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func (v *virtualKeyboard) typeText(t *testing.T, table map[rune]stroke, s string, gs func(*typist)) {
	t.Helper()
	var ty typist
	ty.typeText(table, s, gs)
	var b []byte
	for _, ev := range ty.evs {
		ev.Sec, ev.Usec = 0, 0 // the kernel stamps the events
		b = Encode(b, ev, NativeSize)
	}
	if _, err := unix.Write(v.fd, b); err != nil {
		t.Fatal(err)
	}
}

func (v *virtualKeyboard) destroy() {
	if v.fd >= 0 {
		unix.Syscall(unix.SYS_IOCTL, uintptr(v.fd), uiDevDestroy, 0)
		unix.Close(v.fd)
		v.fd = -1
	}
}

// TestUinput types through a kernel input device: grab, the French layout with AltGr and Alt
// codes, unplug (the device destroyed: read fails with ENODEV) and a new device opened again.
func TestUinput(t *testing.T) {
	v := newVirtualKeyboard(t)
	spec := devices.Spec{Name: "scanner1", Kind: devices.KindScanner, Driver: "evdev", Port: v.node, Options: map[string]any{"layout": "fr"}}
	s, err := scanner.Open(context.Background(), spec, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.Sleep(50 * time.Millisecond)
	v.typeText(t, frStrokes, "]C1010590123412345710LOT-42\x1d17271231\n", gsAltCode)
	sc, err := readWithin(s, 5*time.Second)
	if err != nil || sc.Data != "]C1010590123412345710LOT-42\x1d17271231" {
		t.Fatalf("scan %q, %v", sc.Data, err)
	}
	// A second opener cannot grab it while we hold it.
	if s2, err := scanner.Open(context.Background(), spec, devices.Env{}); err == nil {
		s2.Close()
		t.Error("second Open grabbed the device too")
	}

	v.destroy() // unplug
	if _, err := readWithin(s, 5*time.Second); !errors.Is(err, scanner.ErrDisconnected) {
		t.Fatalf("after unplug: %v, want ErrDisconnected", err)
	}
	s.Close()

	v2 := newVirtualKeyboard(t) // plugged back in (maybe as another eventN)
	spec.Port = v2.node
	s, err = scanner.Open(context.Background(), spec, devices.Env{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	time.Sleep(50 * time.Millisecond)
	v2.typeText(t, frStrokes, "]E05901234123457\n", nil)
	if sc, err := readWithin(s, 5*time.Second); err != nil || sc.Data != "]E05901234123457" {
		t.Fatalf("after replug: %q, %v", sc.Data, err)
	}
}
