package periphhost

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestHint(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("open /dev/i2c-1: %w", fs.ErrPermission), "usermod -aG i2c stationd"},
		{syscall.EACCES, "usermod -aG i2c stationd"},
		{errors.New("sysfs-i2c: open /dev/i2c-1: permission denied"), "i2c group"},
		{syscall.EBUSY, "another program"},
		{errors.New("i2creg: no bus found"), "dtparam=i2c_arm=on"},
	}
	for _, tt := range tests {
		if got := hint(tt.err, "i2c", "enable I2C with dtparam=i2c_arm=on"); !strings.Contains(got, tt.want) {
			t.Errorf("hint(%v) = %q, want it to mention %q", tt.err, got, tt.want)
		}
	}
}
