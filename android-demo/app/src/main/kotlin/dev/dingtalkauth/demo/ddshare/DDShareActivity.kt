package dev.dingtalkauth.demo.ddshare

import dev.dingtalkauth.android.DingTalkLegacySdkActivity

/** Where DingTalk's legacy SDK replies: exactly `<applicationId>.ddshare.DDShareActivity`, exported. */
class DDShareActivity : DingTalkLegacySdkActivity()
