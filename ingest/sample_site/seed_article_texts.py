"""The paragraphs of the real seed article pages 002 and 004 (``../shared/seeds/``), word for
word; ``seeds`` splits each into intro (the first paragraph) and full text."""

from __future__ import annotations

P_002: tuple[str, ...] = (
    (
        "The Syrian National Coalition’s Department of Foreign Relations on Tuesday "
        "convened to prepare a number of activities and events aimed at highlighting the "
        "crimes Russia and the Assad regime are committing in Syria, especially in Idlib "
        "and rural Aleppo."
    ),
    (
        "The meeting was attended by coordinators of the Coalition’s departments and "
        "committees. The discussions focused on the situation in western rural Aleppo and "
        "Idlib province and the atrocious crimes Russia is committing right under the "
        "eyes of the entire world. Participants stressed that the international community "
        "bears direct responsibility for what is happening against civilians because of "
        "its long silence about those crimes that have been ongoing on for nine years."
    ),
    (
        "The participants reviewed the local and international human rights documents and "
        "reports confirming the involvement of Russia and the Assad regime in widespread "
        "crimes, such as targeting civilians and vital facilities such as homes, mosques, "
        "schools, medical centers, relief convoys, ambulances, and humanitarian workers."
    ),
    (
        "Tabled for discussion was also the issue of detainees and enforced "
        "disappearance. The participants stressed that this issue is one of the most "
        "important issues that the international community should deal with in all "
        "seriousness by establishing a mechanism to ensure the release of detainees and "
        "disclose the fate of the missing."
    ),
    (
        "Coordinator of the Department, Abdulahad Astepho, held another meeting with the "
        "political Syria advisor at the French Foreign Ministry, Fabrice Desplechin and "
        "discussed with him the dangerous situation in rural Aleppo and Idlib."
    ),
    (
        "Astepho stressed that the international community has so far failed to fulfill "
        "its legal and moral obligations towards Syrian civilians or towards the "
        "implementation of international resolutions on Syria, most importantly the "
        "Geneva Communique of 2012 and UN Resolution 2254 calling for a ceasefire and "
        "engagement in a political process in order to achieve democratic transition in "
        "the country."
    ),
    (
        "Astepho went on to say that the areas that long fell to the Assad regime are "
        "going through a dire situation. He said that these areas has not stabilized due "
        "to the crimes of the regime as security forces and intelligence services "
        "continued the execution and arrests against civilians. (Source: Syrian National "
        "Coalition’s Media Department)"
    ),
)

P_004: tuple[str, ...] = (
    (
        "The Syrian Coalition’s presidential body and political committee received "
        "representatives of friendly countries and discussed with them the heavy bombing "
        "campaign by the Assad regime and the Russian forces against civilians in Idlib. "
        "The meeting also discussed the political process, most importantly efforts to "
        "resume the UN-led Geneva negotiations."
    ),
    (
        "President of the Syrian Coalition Abdurrahman Mustafa said that the Assad "
        "regime, Russia and the Iranian terrorist organizations are committing a new "
        "series of war crimes in Idlib and rural Hama. He called on friendly countries to "
        "mobilize efforts at the international level to ensure perpetrators of these "
        'crimes are held accountable. "We are completing the files of accountability for '
        "war crimes in Syria. We hope that you will be further mobilized in international "
        'forums to hold war criminals accountable."'
    ),
    (
        "Mustafa expressed hope that there will be international action to stop the "
        "crimes taking place in northern Syria, which is being subjected to heavy "
        "bombardment that mainly targets residential buildings and vital civilian "
        "centers. He pointed out that serious international action would avert a new "
        "human tragedy affecting civilians and the forcibly displaced people."
    ),
    (
        "He stressed that Russia is targeting civilians, hospitals and service facilities "
        "while ignoring targets of Al-Qaeda, adding that Russia has been pursuing this "
        "strategy from the beginning to strengthen terrorism and crush the Syrian "
        "revolution."
    ),
    (
        "Moreover, Mustafa underscored that the Coalition rejects the existence of any "
        "terrorist organizations on Syrian territory just as it rejects the presence of "
        "Iranian terrorist organizations in Syria. “We were the first to suffer at the "
        "hands of these groups. The Free Syrian Army was the first to confront these "
        "terrorist organizations as it fought them in various parts of Syria. These "
        "groups must not be used as a pretext to kill civilians and bring about a "
        'demographic change in the country."'
    ),
    (
        "“Under the pretext of fighting terrorist organizations, the Assad regime and "
        "Moscow have forcibly displaced the people of Aleppo, eastern Ghouta, Darayya, "
        "Homs, Qalmoun and Dara’a,” Mustafa added. “There is no other Idlib for civilians "
        'to move to," he said, warning of an unprecedented humanitarian disaster as the '
        "region is home to more than three million civilians."
    ),
    (
        "Mustafa also stressed that such disaster will create a new global refugee crisis "
        "affecting most countries. He called on friendly countries to exert international "
        "pressure to protect Syrian civilians and maintain the truce in Idlib, especially "
        "as it is the last remaining de-escalation zone."
    ),
    (
        "Mustafa praised the position of Turkey as well as the international and European "
        "support which is consistent with the position of the Syrian Coalition in its "
        "rejection of escalation and the holocaust being planned in Idlib."
    ),
    (
        "He pointed out the Coalition is also focusing on the political process and "
        'negotiations and said: "We constantly coordinate efforts with the Syrian '
        "Negotiations Commission with regards to political and negotiating issues as well "
        "as the formation of the Constitutional Committee. We are still committed to a "
        'political solution that guarantees the rights of the Syrian people."'
    ),
    (
        "Mustafa underscored that the political process must be comprehensive and not "
        "limited to the constitutional process. He said that Russian is seeking to "
        "rehabilitate the Assad regime and prevent a full political transition in Syria "
        "in line with the Geneva Communique of 2012 and UN Security Council resolution "
        "2254. “We believe that there is no solution except a political one that is "
        "sponsored by the United Nations.” (Source: Syrian Coalition’s Media Department)"
    ),
)
