// Package periphhost opens the board's real buses and pins through periph.io/x/host (I²C and
// SPI through Linux's /dev/i2c-N and /dev/spidevB.C, GPIO through the GPIO character device or
// the SoC driver), and turns the operating system's refusals into one line a technician can act
// on. It is the only stationd package that imports periph.io/x/host; host drivers are loaded on
// the first Open, never from init().
package periphhost

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"
)

var (
	once    sync.Once
	initErr error
)

// Init loads periph's host drivers once.
func Init() error {
	once.Do(func() {
		if _, err := host.Init(); err != nil {
			initErr = fmt.Errorf("periph host drivers: %w", err)
		}
	})
	return initErr
}

// OpenI2C opens the I²C bus named name: "1", "I2C1" or "/dev/i2c-1".
func OpenI2C(name string) (i2c.BusCloser, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	b, err := i2creg.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open I2C bus %q: %w: %s", name, err, hint(err, "i2c",
			"enable I2C with dtparam=i2c_arm=on in /boot/firmware/config.txt and reboot; check `ls /dev/i2c-*`"))
	}
	return b, nil
}

// OpenSPI opens the SPI port named name: "/dev/spidev0.0" or "SPI0.0".
func OpenSPI(name string) (spi.PortCloser, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	p, err := spireg.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open SPI port %q: %w: %s", name, err, hint(err, "spi",
			"enable SPI with dtparam=spi=on in /boot/firmware/config.txt and reboot; check `ls /dev/spidev*`"))
	}
	return p, nil
}

// Pin returns the host GPIO named name ("GPIO17", a line name, or a number).
func Pin(name string) (gpio.PinIO, error) {
	if err := Init(); err != nil {
		return nil, err
	}
	p := gpioreg.ByName(name)
	if p == nil {
		return nil, fmt.Errorf("GPIO %q not found: %s", name, hint(os.ErrNotExist, "gpio",
			"name it as the board does (GPIO17 on a Raspberry Pi; see `gpioinfo`)"))
	}
	return p, nil
}

// PinError explains a failure to configure pin p.
func PinError(p fmt.Stringer, err error) error {
	return fmt.Errorf("%s: %w: %s", p, err, hint(err, "gpio", "check that no other program holds the line (`gpioinfo`)"))
}

// hint says what to do about err; group is the Unix group that owns the device nodes.
func hint(err error, group, otherwise string) string {
	switch {
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM),
		strings.Contains(err.Error(), "permission denied"):
		return "add the stationd user to the " + group + " group (usermod -aG " + group + " stationd) and restart it"
	case errors.Is(err, syscall.EBUSY), strings.Contains(err.Error(), "busy"):
		return "another program or kernel driver holds it; stop it or remove its dtoverlay"
	}
	return otherwise
}
