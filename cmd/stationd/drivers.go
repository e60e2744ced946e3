package main

// The device drivers built into stationd. Each registers itself from init(); removing a line
// here removes the driver from the binary, from check-config and from the config reference.
import (
	_ "github.com/stationd/stationd/devices/lights/gpiolights"
	_ "github.com/stationd/stationd/devices/lights/ht16k33"
	_ "github.com/stationd/stationd/devices/lights/lightsim"
	_ "github.com/stationd/stationd/devices/lights/mcp23017"
	_ "github.com/stationd/stationd/devices/lights/ws2812"
	_ "github.com/stationd/stationd/devices/printer/printersim"
	_ "github.com/stationd/stationd/devices/printer/zplprinter"
	_ "github.com/stationd/stationd/devices/scale/cas"
	_ "github.com/stationd/stationd/devices/scale/hidpos"
	_ "github.com/stationd/stationd/devices/scale/mtsics"
	_ "github.com/stationd/stationd/devices/scale/scalesim"
	_ "github.com/stationd/stationd/devices/scale/toledo"
	_ "github.com/stationd/stationd/devices/scanner/evdev"
	_ "github.com/stationd/stationd/devices/scanner/scannersim"
	_ "github.com/stationd/stationd/devices/scanner/serialscan"
)
