// Pages with nothing of their own to enhance (home, category listings) still get the header's widgets.
import '../lib/header';
