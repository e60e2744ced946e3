// Package lights ships example pick-to-light and put-wall profiles, and the Raspberry Pi set-up
// a technician makes before stationd can drive them. A profile is a config fragment (the lights
// devices, their locations, the pick timings) to copy into station.yaml; a test checks every
// profile through the drivers' Validate and Capacity, so that the examples stay valid.
//
// Profiles (embedded in Profiles):
//
//	pi-gpio-shelf.yaml          3 locations on the Pi's own GPIO pins: LED + button each
//	pi-2x-mcp23017-shelf.yaml   16 locations on two MCP23017 expanders (0x20, 0x21), shared INT
//	ht16k33-qty-shelf.yaml      4 locations with 3-digit quantity displays, LEDs and keys
//	ws2812-put-wall.yaml        24 put-wall slots of 12 pixels on a 300-pixel WS2812B strip
//	sim-demo.yaml               8 simulated locations: what `stationd demo` uses
//
// # Raspberry Pi set-up
//
// Raspberry Pi OS Bookworm reads /boot/firmware/config.txt (earlier releases /boot/config.txt).
// Add the lines the shelf needs and reboot:
//
//	dtparam=i2c_arm=on               # I2C1: SDA GPIO2 (pin 3), SCL GPIO3 (pin 5) -> /dev/i2c-1
//	dtparam=i2c_arm_baudrate=400000  # optional: MCP23017 and HT16K33 both run at 400 kHz
//	dtparam=spi=on                   # SPI0: MOSI GPIO10 (pin 19) -> /dev/spidev0.0
//
// The WS2812B timing rides on the SPI clock, and on a Pi 3 or 4 the SPI clock is divided from
// the VideoCore core clock, which idles down and moves the bit timing out of the pixels'
// tolerance. Pin the core clock:
//
//	core_freq=250                    # Pi 3, Pi Zero 2 W
//	core_freq=500                    # Pi 4: both lines
//	core_freq_min=500
//
// (The Pi 5 drives SPI from its RP1 I/O controller; no core_freq line is known to be needed
// there. Check the first strip with a logic analyser.)
//
// spidev sends a frame in one transfer only if its buffer holds it: 4096 bytes by default, 445
// pixels at 2.4 MHz or 336 at 3.2 MHz. For longer strips append to the single line of
// /boot/firmware/cmdline.txt:
//
//	spidev.bufsiz=65536
//
// Run stationd as its own user, never root. The device nodes belong to the gpio, i2c and spi
// groups on Raspberry Pi OS (/dev/gpiochip* and /dev/gpiomem: gpio, /dev/i2c-*: i2c,
// /dev/spidev*: spi), so:
//
//	sudo usermod -aG gpio,i2c,spi stationd
//
// and restart the service. Other distributions need udev rules, for example in
// /etc/udev/rules.d/60-stationd.rules:
//
//	SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"
//	SUBSYSTEM=="i2c-dev", GROUP="i2c", MODE="0660"
//	SUBSYSTEM=="spidev", GROUP="spi", MODE="0660"
//
// then `sudo udevadm control --reload && sudo udevadm trigger`.
//
// Checks before starting stationd: `i2cdetect -y 1` (package i2c-tools) shows 20 and 21 for the
// two expanders and 70 for an HT16K33; `ls -l /dev/spidev0.0 /dev/i2c-1 /dev/gpiochip0` shows the
// groups; `gpioinfo` (package gpiod) names the lines GPIO17 and so on, and shows none of the
// shelf's pins held by another consumer. `stationd check-config station.yaml` then checks the
// locations against each device's capacity.
//
// # Wiring reminders
//
//   - MCP23017 (Microchip DS20001952C): VDD 3.3 V so that its I2C levels match the Pi's; RESET
//     tied to VDD (no internal pull-up); A2 A1 A0 strapped for 0x20..0x27; at most 25 mA per
//     pin and 125 mA through VDD per chip.
//   - HT16K33 (Holtek Rev 1.10): needs 4.5..5.5 V; its inputs want 0.7 VDD, so put a level
//     shifter on SDA/SCL, and keep one set of pull-ups. Keys need one diode each.
//   - WS2812B (Worldsemi): 5 V; the data input wants 0.7 VDD, so drive it through a 74AHCT125
//     buffer; 330 ohm in series near pixel 0; common ground; inject power every 100 pixels or so.
package lights
