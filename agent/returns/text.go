package returns

import "fmt"

// Feedback kinds, the first argument of Feedback.Signal. The station maps each onto its
// operator display, light or beeper; the text is in the station's language.
const (
	SignalOK      = "ok"      // a scan was taken (return opened, item counted, reason set, weight)
	SignalRefused = "refused" // a scan was refused: nothing changed
	SignalDone    = "done"    // return.received recorded, or the return abandoned: ready for the next parcel
)

// msg is one operator message in English and French.
type msg struct{ en, fr string }

// The operator messages. Arguments are filled with fmt in the order of the English text.
var (
	msgNoReturn        = msg{"No return open: scan the RMA or order id first", "Aucun retour ouvert : scannez d'abord le numéro de retour ou de commande"}
	msgOpenAnnounced   = msg{"Return %s open: %d items expected. Scan each item, then its reason", "Retour %s ouvert : %d articles attendus. Scannez chaque article puis son motif"}
	msgOpenUnannounced = msg{"Return %s NOT ANNOUNCED, recorded anyway: scan each item, then its reason", "Retour %s NON ANNONCÉ, enregistré quand même : scannez chaque article puis son motif"}
	msgResumed         = msg{"Return %s resumed: %d items scanned", "Retour %s repris : %d articles scannés"}
	msgAlreadyReceived = msg{"Return %s was already received on %s", "Le retour %s a déjà été reçu le %s"}
	msgItemFirst       = msg{"Item barcode %s: scan the RMA or order id first", "Code article %s : scannez d'abord le numéro de retour ou de commande"}
	msgBadBarcode      = msg{"Bad barcode (%s): scan it again", "Code-barres erroné (%s) : scannez-le à nouveau"}
	msgBadID           = msg{"%q cannot be a return id: scan the RMA or order id", "%q ne peut pas être un numéro de retour : scannez le numéro de retour ou de commande"}
	msgUnreadable      = msg{"%q is not an item barcode: scan the item's EAN, GS1 or SKU label", "%q n'est pas un code article : scannez l'EAN, le GS1 ou la référence de l'article"}
	msgBox             = msg{"Box barcode %s: not used at the returns station", "Code carton %s : inutile au poste retours"}
	msgItemExpected    = msg{"%s: %d of %d expected. Scan its reason", "%s : %d sur %d attendus. Scannez son motif"}
	msgItemOver        = msg{"%s: more than expected (%d of %d), recorded. Scan its reason", "%s : plus que prévu (%d sur %d), enregistré. Scannez son motif"}
	msgItemUnexpected  = msg{"%s: not in this return, recorded. Scan its reason", "%s : absent de ce retour, enregistré. Scannez son motif"}
	msgItem            = msg{"%s: item %d. Scan its reason", "%s : article %d. Scannez son motif"}
	msgTooMany         = msg{"A return holds at most %d items: complete this one (RET-DONE) and open the rest as another", "Un retour compte au plus %d articles : terminez celui-ci (RET-DONE) et ouvrez le reste à part"}
	msgItemBeforeCode  = msg{"Scan an item before its reason or condition", "Scannez un article avant son motif ou son état"}
	msgReason          = msg{"%s, %s: %s (%d items)", "%s, %s : %s (%d articles)"}
	msgCondition       = msg{"Condition %s (%d items): now scan the reason", "État %s (%d articles) : scannez maintenant le motif"}
	msgNeedReason      = msg{"Scan the reason of the last %d items first", "Scannez d'abord le motif des %d derniers articles"}
	msgNothing         = msg{"Nothing scanned: scan the items, or RET-CANCEL", "Rien n'est scanné : scannez les articles, ou RET-CANCEL"}
	msgDone            = msg{"Return %s received: %s", "Retour %s reçu : %s"}
	msgCancelled       = msg{"Return %s abandoned: nothing recorded", "Retour %s abandonné : rien n'est enregistré"}
	msgUndo            = msg{"Removed %s (%d items left)", "Retiré : %s (%d articles restants)"}
	msgNothingToUndo   = msg{"Nothing to undo", "Rien à annuler"}
	msgOtherOpen       = msg{"Return %s is open: complete it (RET-DONE) or abandon it (RET-CANCEL) first", "Le retour %s est ouvert : terminez-le (RET-DONE) ou abandonnez-le (RET-CANCEL) d'abord"}
	msgAlreadyOpen     = msg{"Return %s is already open", "Le retour %s est déjà ouvert"}
	msgWeighing        = msg{"Put the parcel on the scale", "Posez le colis sur la balance"}
	msgWeight          = msg{"Parcel weight %s", "Poids du colis %s"}
	msgNoWeight        = msg{"No weight (%s): scan RET-WEIGH to weigh again", "Pas de poids (%s) : scannez RET-WEIGH pour repeser"}
	msgNoScale         = msg{"No scale at this station: the return is recorded without weight", "Pas de balance à ce poste : le retour est enregistré sans poids"}
	msgStorage         = msg{"Station storage error: call a technician (%s)", "Erreur de stockage de la station : appelez un technicien (%s)"}
)

// text renders m in lang ("fr" for French, anything else English).
func (m msg) text(lang string, args ...any) string {
	f := m.en
	if lang == "fr" {
		f = m.fr
	}
	return fmt.Sprintf(f, args...)
}
