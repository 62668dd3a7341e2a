package dev.dingtalkauth.demo

import dev.dingtalkauth.android.DingTalkRedirectActivity

/** The browser flow's redirect URI ([DEMO_REDIRECT_URI]) lands here (see the manifest's intent filter). */
class RedirectActivity : DingTalkRedirectActivity()
