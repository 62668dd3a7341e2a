package dev.dingtalkauth.demo.ddauth

import dev.dingtalkauth.android.DingTalkNewSdkActivity

/** Where DingTalk's new SDK replies: exactly `<applicationId>.ddauth.DDAuthActivity`, exported. */
class DDAuthActivity : DingTalkNewSdkActivity()
