package main

import (
	"github.com/cellforge/cellforge/api"
	"github.com/cellforge/cellforge/api/web"
	"github.com/cellforge/cellforge/cells"
	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/configs/profiles"
	"github.com/cellforge/cellforge/drivers/modbus"
	"github.com/cellforge/cellforge/firmware-sim/plant"
	"github.com/cellforge/cellforge/telemetry/collect"
)

// deviceKind is how the floor drives a kind of device.
type deviceKind struct {
	// sim is the firmware-sim/plant kind that simulates it.
	sim string
	// profiled is true for a machine a profile describes: one spoken to over Modbus.
	profiled bool
	// open makes the driver of device d of a cell, adds what must run and close with the floor
	// to b, and gives the cell's controller (c) what it needs of the device.
	open func(b *floorBuilder, d configs.Device, c *cellBuild) error
}

// deviceKinds is every kind of device the floor drives, by the name configs gives it. A kind
// is one entry here and one in configs' table of kinds.
var deviceKinds = map[string]deviceKind{
	configs.KindLoom:         {sim: plant.KindLoom, profiled: true, open: (*floorBuilder).openMachine},
	configs.KindDyeStation:   {sim: plant.KindDyeStation, profiled: true, open: (*floorBuilder).openMachine},
	configs.KindLabelPrinter: {sim: plant.KindLabelPrinter, open: (*floorBuilder).openLabelPrinter},
	configs.KindMicroPrinter: {sim: plant.KindMicroPrinter, open: (*floorBuilder).openTicketPrinter},
}

// deviceProfile returns the built-in profile that describes machine d, which names it.
func deviceProfile(d configs.Device) (*profiles.Profile, error) { return profiles.Find(d.Profile) }

// What the floor's parts must be to the packages that use them.
var (
	_ cells.Machine       = (*modbus.Device)(nil)
	_ cells.LabelPrinter  = labelPrinter{}
	_ cells.SlipPrinter   = labelPrinter{}
	_ cells.TicketPrinter = ticketPrinter{}
	_ api.Floor           = (*floor)(nil)
	_ api.SlipReprinter   = (*floor)(nil)
	_ web.Floor           = (*floor)(nil)
	_ collect.Floor       = (*floor)(nil)
	_ collect.Driver      = (*floor)(nil)
)
