package main

import (
	"strings"
	"testing"

	"github.com/cellforge/cellforge/configs"
	"github.com/cellforge/cellforge/firmware-sim/plant"
)

// TestDeviceKindsCoverConfigs checks that every kind of device the factory file accepts has a
// driver that the floor opens, a simulator that the plant runs, and a profile exactly when
// configs takes one (a Modbus machine); and that the floor knows no kind configs does not.
func TestDeviceKindsCoverConfigs(t *testing.T) {
	known := map[string]bool{}
	for _, k := range configs.DeviceKinds() {
		known[k.Name] = true
		t.Run(k.Name, func(t *testing.T) {
			kind, ok := deviceKinds[k.Name]
			if !ok {
				t.Fatalf("no entry for kind %q", k.Name)
			}
			if kind.open == nil {
				t.Errorf("kind %q has no driver constructor", k.Name)
			}
			if kind.profiled != k.Modbus {
				t.Errorf("kind %q: profiled %v, but configs says Modbus %v", k.Name, kind.profiled, k.Modbus)
			}
			if err := simulates(t, kind.sim); err != nil {
				t.Errorf("kind %q: the plant does not simulate %q: %v", k.Name, kind.sim, err)
			}
		})
	}
	for name := range deviceKinds {
		if !known[name] {
			t.Errorf("the floor drives kind %q, which configs does not know", name)
		}
	}
}

// TestPlantRejectsUnknownKind keeps TestDeviceKindsCoverConfigs able to fail: the plant refuses
// a kind it cannot simulate.
func TestPlantRejectsUnknownKind(t *testing.T) {
	if err := simulates(t, "furnace"); err == nil || !strings.Contains(err.Error(), "unknown kind") {
		t.Fatalf("a plant of a furnace: %v, want an unknown kind", err)
	}
}

// simulates starts a plant of one device of the simulator kind on a loopback port.
func simulates(t *testing.T, kind string) error {
	t.Helper()
	p, err := plant.New(plant.Spec{Devices: []plant.Device{{ID: "d1", Kind: kind, Listen: "127.0.0.1:0"}}}, plant.Config{})
	if err != nil {
		return err
	}
	return p.Close()
}
