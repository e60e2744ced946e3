package protocol

import "github.com/stationd/stationd/protocol/units"

// Command types, the last level of P/cmd/<type> and the envelope's "type" (contract section 5).
const (
	CommandPackOrder    = "pack.order"
	CommandPackCancel   = "pack.cancel"
	CommandPickTasks    = "pick.tasks"
	CommandPickCancel   = "pick.cancel"
	CommandPutWall      = "put.wall"
	CommandReturnExpect = "return.expect"
	CommandLabelPrint   = "label.print"
	CommandLightSet     = "light.set"
	CommandStationPing  = "station.ping"
)

// Station roles, as written in the config's roles list (contract section 2). A command of a role
// the station does not have is answered role_disabled.
const (
	RolePack    = "pack"
	RolePick    = "pick"
	RolePut     = "put"
	RoleReturns = "returns"
)

// Roles lists every role in a stable order.
func Roles() []string { return []string{RolePack, RolePick, RolePut, RoleReturns} }

// Light colours of light.set and pick.tasks. ColorOff is for light.set only.
const (
	ColorOff     = "off"
	ColorRed     = "red"
	ColorGreen   = "green"
	ColorBlue    = "blue"
	ColorYellow  = "yellow"
	ColorCyan    = "cyan"
	ColorMagenta = "magenta"
	ColorWhite   = "white"
)

// CommandData is implemented by the data type of every command: it names its command type.
type CommandData interface {
	CommandType() string
}

// PackOrder is pack.order: an order to pack at this station. The station stores it (it survives
// restarts) until it is packed or cancelled.
type PackOrder struct {
	OrderID        string      `json:"order_id"`
	Carrier        string      `json:"carrier"`
	Service        string      `json:"service,omitempty"`
	TrackingNumber string      `json:"tracking_number,omitempty"`
	LabelZPL       string      `json:"label_zpl,omitempty"` // printed byte for byte when given
	ShipTo         ShipTo      `json:"ship_to"`
	Lines          []OrderLine `json:"lines"`
}

// ShipTo is the parcel's address, printed on the station's own label template.
type ShipTo struct {
	Name     string `json:"name"`
	Company  string `json:"company,omitempty"`
	Street   string `json:"street"`
	Street2  string `json:"street2,omitempty"`
	Postcode string `json:"postcode"`
	City     string `json:"city"`
	Country  string `json:"country"` // ISO 3166-1 alpha-2, upper case
}

// OrderLine is one line of a pack.order.
type OrderLine struct {
	Line           LineID          `json:"line"`
	SKU            string          `json:"sku"`
	GTIN           string          `json:"gtin,omitempty"`
	Barcodes       []string        `json:"barcodes,omitempty"` // aliases that also match the line
	Qty            int             `json:"qty"`
	UnitWeightG    int64           `json:"unit_weight_g"`
	DimsMM         [3]units.Length `json:"dims_mm,omitzero"` // zero when not given
	LotRequired    bool            `json:"lot_required,omitempty"`
	SerialRequired bool            `json:"serial_required,omitempty"`
	MinExpiryDays  int             `json:"min_expiry_days,omitempty"`
}

// PackCancel is pack.cancel: withdraw an order not yet packed.
type PackCancel struct {
	OrderID string `json:"order_id"`
}

// PickTasks is pick.tasks: a batch of picks shown on the pick-to-light locations.
type PickTasks struct {
	BatchID string     `json:"batch_id"`
	Tasks   []PickTask `json:"tasks"`
}

// PickTask is one pick of a batch.
type PickTask struct {
	TaskID   string `json:"task_id"`
	Location string `json:"location"`
	SKU      string `json:"sku"`
	Qty      int    `json:"qty"`
	OrderID  string `json:"order_id,omitempty"`
	Color    string `json:"color,omitempty"` // one of the Color constants but ColorOff
}

// PickCancel is pick.cancel: withdraw a batch.
type PickCancel struct {
	BatchID string `json:"batch_id"`
}

// PutWall is put.wall: orders to sort into the slots of a put wall.
type PutWall struct {
	WallID string     `json:"wall_id"`
	Orders []PutOrder `json:"orders"`
}

// PutOrder is one order of a put wall and its slot.
type PutOrder struct {
	OrderID string    `json:"order_id"`
	Slot    string    `json:"slot"`
	Lines   []PutLine `json:"lines"`
}

// PutLine is one line of a put-wall order.
type PutLine struct {
	SKU  string `json:"sku"`
	GTIN string `json:"gtin,omitempty"`
	Qty  int    `json:"qty"`
}

// ReturnExpect is return.expect: an announced return (RMA).
type ReturnExpect struct {
	RMAID   string             `json:"rma_id"`
	OrderID string             `json:"order_id,omitempty"`
	Lines   []ReturnExpectLine `json:"lines"`
}

// ReturnExpectLine is one expected line of a return.
type ReturnExpectLine struct {
	SKU  string `json:"sku"`
	GTIN string `json:"gtin,omitempty"`
	Qty  int    `json:"qty"`
}

// LabelPrint is label.print: print raw ZPL or one of the station's templates. Exactly one of
// ZPL and Template is set.
type LabelPrint struct {
	Printer  string            `json:"printer,omitempty"` // device name; default: pack.printer
	ZPL      string            `json:"zpl,omitempty"`
	Template string            `json:"template,omitempty"`
	Fields   map[string]string `json:"fields,omitempty"`
	Copies   int               `json:"copies,omitempty"` // 0 means 1
}

// LightSet is light.set: set one light.
type LightSet struct {
	Location string `json:"location"`
	Color    string `json:"color"`
	Blink    bool   `json:"blink,omitempty"`
	Display  string `json:"display,omitempty"` // text for a location's display, when it has one
}

// StationPing is station.ping: answered by its command.result alone, to check the path from the
// OMS to the station and back.
type StationPing struct{}

// CommandType implementations.

func (PackOrder) CommandType() string    { return CommandPackOrder }
func (PackCancel) CommandType() string   { return CommandPackCancel }
func (PickTasks) CommandType() string    { return CommandPickTasks }
func (PickCancel) CommandType() string   { return CommandPickCancel }
func (PutWall) CommandType() string      { return CommandPutWall }
func (ReturnExpect) CommandType() string { return CommandReturnExpect }
func (LabelPrint) CommandType() string   { return CommandLabelPrint }
func (LightSet) CommandType() string     { return CommandLightSet }
func (StationPing) CommandType() string  { return CommandStationPing }
