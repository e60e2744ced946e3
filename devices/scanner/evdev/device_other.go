//go:build !linux

package evdev

import (
	"errors"
	"os"
)

func openDevice(path string, grab bool) (*os.File, string, error) {
	return nil, "", errors.New("the evdev driver needs Linux input devices: use the serial driver (USB CDC-ACM mode) on this system")
}
