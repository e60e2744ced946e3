package packing

import "fmt"

// Feedback kinds, the first argument of Feedback.Signal. The station maps each onto the station
// light (pack.station_light) and a line of its log; the text is in pack.language.
const (
	SignalOK            = "ok"             // a scan was taken (order opened, item counted, box picked)
	SignalMismatch      = "mismatch"       // a scan was refused: nothing counted
	SignalWaitingWeight = "waiting_weight" // every line is complete: put the parcel on the scale
	SignalException     = "exception"      // the pack cannot go on without the packer or a supervisor
	SignalDone          = "done"           // pack.completed: ready for the next order
	SignalIdle          = "idle"           // no pack open
)

// msg is one operator message in every language of pack.language.
type msg struct{ en, fr string }

// The operator messages. Arguments are filled with fmt in the order of the English text; the
// French texts use explicit argument indexes where the order differs.
var (
	msgOpened          = msg{"Order %s open: %d items to scan", "Commande %s ouverte : %d articles à scanner"}
	msgResumed         = msg{"Order %s resumed (%s)", "Commande %s reprise (%s)"}
	msgNoOrder         = msg{"No open order: scan an order id", "Aucune commande ouverte : scannez un numéro de commande"}
	msgAlreadyOpen     = msg{"Order %s is already open", "La commande %s est déjà ouverte"}
	msgOtherOpen       = msg{"Order %s is open: finish or cancel it first", "La commande %s est ouverte : terminez-la ou annulez-la d'abord"}
	msgItem            = msg{"%s: %d of %d", "%s : %d sur %d"}
	msgBox             = msg{"Box %s", "Carton %s"}
	msgBoxLate         = msg{"Too late to change the box: the label is printing", "Trop tard pour changer de carton : l'étiquette s'imprime"}
	msgUseBox          = msg{"All items scanned: use box %s and put the parcel on the scale", "Tous les articles sont scannés : prenez le carton %s et posez le colis sur la balance"}
	msgPutOnScale      = msg{"Put the parcel in box %s on the scale", "Posez le colis (carton %s) sur la balance"}
	msgNoBoxFits       = msg{"No box fits these items: scan the id of the box you use", "Aucun carton ne convient : scannez le carton utilisé"}
	msgNoScale         = msg{"Scale not available: check its cable", "Balance indisponible : vérifiez son câble"}
	msgUnstable        = msg{"The weight does not settle: keep the parcel still on the scale", "Le poids ne se stabilise pas : ne touchez plus le colis sur la balance"}
	msgWeightBad       = msg{"Weight %s, expected %s ± %s: check the parcel, lift it and put it back (or supervisor code)", "Poids %s, attendu %s ± %s : vérifiez le colis, soulevez-le et reposez-le (ou code superviseur)"}
	msgCarrierLimit    = msg{"Parcel beyond %s limits (%s): use another box or supervisor code", "Colis hors limites %s (%s) : changez de carton ou code superviseur"}
	msgPrinting        = msg{"Weight %s: printing the label", "Poids %s : impression de l'étiquette"}
	msgLabelFailed     = msg{"Label failed (%s): the station retries; supervisor code completes without label", "Échec de l'étiquette (%s) : nouvel essai automatique ; le code superviseur termine sans étiquette"}
	msgDone            = msg{"Order %s packed: scan the next order", "Commande %s emballée : scannez la commande suivante"}
	msgCancelled       = msg{"Order %s cancelled by the OMS: put its items aside", "Commande %s annulée par l'OMS : mettez ses articles de côté"}
	msgOverride        = msg{"Supervisor override: %s", "Dérogation superviseur : %s"}
	msgNothingOverride = msg{"Supervisor code: nothing to override now", "Code superviseur : aucune dérogation possible maintenant"}
	msgStorage         = msg{"Station storage error: call a technician (%s)", "Erreur de stockage de la station : appelez un technicien (%s)"}
)

// Mismatch texts by pack.mismatch reason.
var mismatchText = map[string]msg{
	"unknown_barcode":  {"Unknown barcode: %s", "Code-barres inconnu : %s"},
	"not_in_order":     {"Not in this order: %s", "Pas dans cette commande : %s"},
	"over_quantity":    {"Too many: %s is complete", "En trop : %s est complet"},
	"lot_missing":      {"Lot missing: scan the GS1 code with the lot (%s)", "Lot manquant : scannez le code GS1 avec le lot (%s)"},
	"serial_missing":   {"Serial number missing: scan the GS1 code with the serial (%s)", "Numéro de série manquant : scannez le code GS1 avec le numéro de série (%s)"},
	"duplicate_serial": {"Serial number already scanned (%s)", "Numéro de série déjà scanné (%s)"},
	"expiry_too_short": {"Expiry too close: take another unit (%s)", "Date de péremption trop proche : prenez une autre unité (%s)"},
	"bad_check_digit":  {"Bad barcode (check digit): scan again or type it (%s)", "Code-barres erroné (clé de contrôle) : rescannez ou saisissez (%s)"},
}

// text renders m in lang ("en" or "fr"; anything else is English).
func (m msg) text(lang string, args ...any) string {
	f := m.en
	if lang == "fr" {
		f = m.fr
	}
	return fmt.Sprintf(f, args...)
}
