/* Stand-in: xsl generates the identifiers of the keys the app's JavaScript uses. */
#define xsID_onReadable xsID("onReadable")
#define xsID_onLinkChange xsID("onLinkChange")
#define xsID_ssid xsID("ssid")
#define xsID_password xsID("password")
